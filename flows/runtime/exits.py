"""How the command ends when it cannot finish: for anything a user can cause, one line on stderr and a
documented exit status (README, "The command line"), never a traceback. A bug still shows its traceback.
Light to import (Prefect and the rest load inside), so a Ctrl-C while they load is handled too. And how a process
whose work is done ends without tearing down its heap."""

from __future__ import annotations

import atexit
import errno
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NoReturn

from flows.escape import one_line

EXIT_USAGE = 2  # a bad command line, config or overrides file (argparse's own status for usage errors)
EXIT_LOCKED = 3  # another run holds OUT_DIR
EXIT_CANNOT_WRITE = 4  # OUT_DIR cannot be written: read-only, no permission, disk or quota full
EXIT_INTERRUPTED = 128 + signal.SIGINT  # Ctrl-C: 130, as shells report it
EXIT_TERMINATED = 128 + signal.SIGTERM  # `kill`: 143

# What the file system answers when the outputs cannot be written; any other OSError is a bug to show.
CANNOT_WRITE = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM}
# Set when SIGTERM arrives while the command runs: code that ran the handler may report the interruption as its own
# error and drop ours (DuckDB turns it into "RuntimeError: Query interrupted", with no cause).
_terminated = threading.Event()


def _raised_while_handling(error: BaseException) -> Iterator[BaseException]:
    """The error and those it was raised while handling (a signal that landed inside Prefect's task engine
    comes back as the engine's own error about the interrupted task run)."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = error.__cause__ or error.__context__


def failure(error: BaseException) -> tuple[int, str] | None:
    """The exit status and one-line message for an error a user can cause (any error once SIGTERM arrived); None
    for anything else."""
    if any(isinstance(raised, KeyboardInterrupt) for raised in _raised_while_handling(error)):
        return EXIT_INTERRUPTED, "interrupted; the published outputs are unchanged"
    from prefect.exceptions import TerminationSignal  # after the check above: Ctrl-C may stop Prefect's import

    if _terminated.is_set() or any(isinstance(raised, TerminationSignal) for raised in _raised_while_handling(error)):
        return EXIT_TERMINATED, "terminated; the published outputs are unchanged"
    from flows.config import ConfigError
    from flows.review.overrides import OverridesError
    from flows.runtime.lock import RunLocked

    if isinstance(error, ConfigError):
        return EXIT_USAGE, f"bad config: {error}"
    if isinstance(error, OverridesError):
        return EXIT_USAGE, f"bad overrides: {error}"
    if isinstance(error, RunLocked):
        return EXIT_LOCKED, str(error)
    if isinstance(error, OSError) and error.errno in CANNOT_WRITE:
        where = f": {error.filename}" if error.filename else ""
        return (
            EXIT_CANNOT_WRITE,
            f"cannot write the outputs ({os.strerror(error.errno)}{where}); the published ones are unchanged",
        )
    return None


class _NoTracebackForKnownFailures(logging.Filter):
    """Keep Prefect's log line of a failure a user caused, without its traceback (the API still gets it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None and failure(record.exc_info[1]) is not None:
            record.exc_info, record.exc_text = None, None
        return True


def _quiet_console_tracebacks() -> None:
    """Filter the console handlers Prefect's logging setup put on the root logger."""
    import prefect.main  # noqa: F401  (importing it sets up Prefect's logging, which adds the handlers)

    for handler in logging.getLogger().handlers:
        if not any(isinstance(each, _NoTracebackForKnownFailures) for each in handler.filters):
            handler.addFilter(_NoTracebackForKnownFailures())


def _raise_termination(signal_number: int, _frame) -> None:
    from prefect.exceptions import TerminationSignal

    _terminated.set()
    raise TerminationSignal(signal_number)


@contextmanager
def terminate_like_interrupt() -> Iterator[None]:
    """SIGTERM unwinds the run like Ctrl-C does (Prefect records it as a crash, the staging folder goes); only
    the main thread may set a signal handler, so elsewhere SIGTERM keeps its own."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _terminated.clear()
    previous = signal.signal(signal.SIGTERM, _raise_termination)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def exit_status_of(command: Callable[[], int]) -> int:
    """Run `command`; an error a user can cause becomes its one line on stderr and its exit status. After a
    signal the process ends at once: a task still running in a worker thread cannot be stopped, only left."""
    try:
        with terminate_like_interrupt():
            _quiet_console_tracebacks()
            return command()
    except BaseException as error:
        known = failure(error)
        if known is None:
            raise
        status, message = known
        print(f"copydesk: {one_line(message)}", file=sys.stderr)
        if status in (EXIT_INTERRUPTED, EXIT_TERMINATED):
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(status)
        return status


def end_without_teardown(status: int) -> NoReturn:
    """End this process as the interpreter would (other threads joined, exit handlers run: Prefect's log and event
    workers drain, the temporary server stops; output flushed), less freeing every object and module one by one,
    which takes seconds once the heap holds a corpus. Only for a process whose work is done and whose owner
    chose to end it (the command line, a worker process): never for a library's caller."""
    threading._shutdown()  # what the interpreter's exit does first; returns at once when already done
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe or stream: nothing more can be said through it
            pass
    os._exit(status)
