"""The flow's stages as plain functions and the typed data they hand each other (shards, Arrow tables)."""
