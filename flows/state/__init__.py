"""The corpus state kept in each published run folder, so a later run pays only for what changed."""
