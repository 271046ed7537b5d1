"""Where and how a run executes: worker processes, Prefect's temporary server, memory, locking, progress and exits."""
