"""What `copydesk run` prints: its progress bars and closing summary, Prefect's own log lines only under
--verbose, and nothing but errors under --quiet. Set before Prefect is imported, since it reads its logging
settings then."""

from __future__ import annotations

import argparse
import os

from flows.runtime.progress import QUIET_VARIABLE

USER_SETTINGS = ("PREFECT_SERVER_ANALYTICS_ENABLED", "DO_NOT_TRACK", "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS")


def add_output_options(run: argparse.ArgumentParser) -> None:
    """The --quiet and --verbose options of `copydesk run`."""
    chatter = run.add_mutually_exclusive_group()
    chatter.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        help="print nothing but errors (no progress, no warnings, no summary; the exit status and manifest.json tell)",
    )
    chatter.add_argument(
        "--verbose", "-v", action="store_true", help="also print Prefect's log lines (flow, task and server INFO)"
    )


def prefect_environment(verbose: bool, quiet: bool) -> dict[str, str]:
    """Prefect's settings for the embedded run: its loggers (and its temporary server's) at WARNING, ERROR under
    --quiet, INFO under --verbose; no analytics or telemetry notice; 300 s for the server to start (Prefect: 20)."""
    level = "INFO" if verbose else "ERROR" if quiet else "WARNING"
    settings = {
        "PREFECT_LOGGING_LEVEL": level,
        "PREFECT_SERVER_LOGGING_LEVEL": level,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        # Prefect's SDK telemetry, and its first-run notice in a terminal, honour the DO_NOT_TRACK convention.
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "300",
    }
    if quiet:
        settings[QUIET_VARIABLE] = "1"
    return settings


def configure_output(arguments: argparse.Namespace) -> None:
    """Apply --quiet and --verbose to this process (and the ones it starts); without either, Prefect settings the
    user set in the environment (PREFECT_LOGGING_LEVEL=DEBUG, say) stay as they are."""
    chosen = arguments.verbose or arguments.quiet
    for name, value in prefect_environment(arguments.verbose, arguments.quiet).items():
        if chosen and name not in USER_SETTINGS:
            os.environ[name] = value
        else:
            os.environ.setdefault(name, value)
