"""Prefect flows, tasks, reading and writing, the `copydesk` CLI and the report."""

__version__ = "0.1.0"
