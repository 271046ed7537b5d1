"""Maintainers' review: the overrides file, `copydesk review` and its local review page."""
