"""How the command ends when it cannot finish: for anything a user can cause, one line on stderr and a
documented exit status (README, "The command line"), never a traceback. A bug still shows its traceback.
Light to import (Prefect and the rest load inside), so a Ctrl-C while they load is handled too. And how a process
whose work is done ends without tearing down its heap."""

from __future__ import annotations

import atexit
import errno
import functools
import logging
import os
import select
import signal
import socket
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
# After a signal, how long the run has to unwind before it is ended from outside: its exception can be lost on the
# way (DuckDB, interrupted inside a query, reports its own error, or at times none and goes on).
UNWIND_SECONDS = 3.0
_ENDINGS = {
    signal.SIGINT: (EXIT_INTERRUPTED, "interrupted; the published outputs are unchanged"),
    signal.SIGTERM: (EXIT_TERMINATED, "terminated; the published outputs are unchanged"),
}


def _raised_while_handling(error: BaseException) -> Iterator[BaseException]:
    """The error and those it was raised while handling (a signal that landed inside Prefect's task engine
    comes back as the engine's own error about the interrupted task run)."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = error.__cause__ or error.__context__


def failure(error: BaseException) -> tuple[int, str] | None:
    """The exit status and one-line message for an error a user can cause (any error once Ctrl-C or SIGTERM
    arrived: the first of them names it); None for anything else."""
    arrived = _signals.arrived() if _signals is not None else []
    if arrived:
        return _ENDINGS[arrived[0]]
    if any(isinstance(raised, KeyboardInterrupt) for raised in _raised_while_handling(error)):
        return _ENDINGS[signal.SIGINT]
    if any(map(_is_termination, _raised_while_handling(error))):
        return _ENDINGS[signal.SIGTERM]
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


def quiet_console_tracebacks() -> None:
    """Filter the console handlers Prefect's logging setup put on the root logger (once Prefect is to run: it
    loads Prefect)."""
    import prefect.main  # noqa: F401  (importing it sets up Prefect's logging, which adds the handlers)

    for handler in logging.getLogger().handlers:
        if not any(isinstance(each, _NoTracebackForKnownFailures) for each in handler.filters):
            handler.addFilter(_NoTracebackForKnownFailures())


def _raise_termination(signal_number: int, _frame) -> None:
    from prefect.exceptions import TerminationSignal

    raise TerminationSignal(signal_number)


class _SignalWatch:
    """The signals that arrived while the command ran, as the interpreter's own C-level handler wrote them to a
    wakeup socket: known whichever Python handler ran (a Prefect flow run puts its own on SIGTERM) and whatever
    became of its exception. A thread waits on the socket and ends the run if it has not unwound in time."""

    def __init__(self) -> None:
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)
        self._arrived: list[int] = []
        self._lock = threading.Lock()
        self._finished = threading.Event()
        self._thread = threading.Thread(target=self._end_if_not_unwound, name="copydesk-signals", daemon=True)

    def start(self) -> int:
        """Start watching; the wakeup descriptor it replaced."""
        previous = signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)
        self._thread.start()
        return previous

    def stop(self, previous: int) -> None:
        """Stop watching (what arrived stays readable) and give the wakeup descriptor back."""
        signal.set_wakeup_fd(previous)
        self.arrived()
        self._finished.set()
        self._writer.close()
        self._thread.join()
        self._reader.close()

    def arrived(self) -> list[int]:
        """SIGINT and SIGTERM as they arrived, in order."""
        with self._lock:
            while self._reader.fileno() != -1:
                try:
                    data = self._reader.recv(256)
                except BlockingIOError:
                    break
                if not data:
                    break
                self._arrived.extend(number for number in data if number in _ENDINGS)
            return list(self._arrived)

    def _end_if_not_unwound(self) -> None:
        while not self._finished.is_set():
            select.select([self._reader], [], [])
            if self.arrived():
                break
        else:
            return
        if not self._finished.wait(UNWIND_SECONDS):
            _end(*_ENDINGS[self.arrived()[0]])


_signals: _SignalWatch | None = None  # the latest command's, kept after it ends for failure() to read
# What a run ended by a signal must undo (a staging folder not yet published), should its unwinding not get there.
_undo_if_ended: list[Callable[[], None]] = []
_ending = threading.Lock()  # held by whichever ends the process: it prints one line, then the process is gone


@contextmanager
def undone_if_ended(undo: Callable[[], None]) -> Iterator[None]:
    """While the block runs, `undo` runs before a signal ends the process from outside its unwinding."""
    _undo_if_ended.append(undo)
    try:
        yield
    finally:
        _undo_if_ended.remove(undo)


def _end(status: int, message: str) -> NoReturn:
    """End the process at once after a signal: undo what the run left, one line on stderr, the signal's status."""
    _ending.acquire()
    for undo in _undo_if_ended.copy():  # the main thread may leave a block meanwhile
        undo()
    print(f"copydesk: {one_line(message)}", file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


@contextmanager
def ending_on_signals() -> Iterator[None]:
    """Ctrl-C and SIGTERM end the run: SIGTERM unwinds it as Ctrl-C does (Prefect records a crash, the staging
    folder goes), and a run that has not unwound within UNWIND_SECONDS is ended from outside. Only the main thread
    may handle signals, so elsewhere nothing changes."""
    global _signals
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _signals = _SignalWatch()
    previous_wakeup = _signals.start()
    previous = signal.signal(signal.SIGTERM, _raise_termination)
    previous_hook = sys.unraisablehook
    sys.unraisablehook = functools.partial(_unless_a_signals, previous_hook)
    try:
        yield
    finally:
        sys.unraisablehook = previous_hook
        signal.signal(signal.SIGTERM, previous)
        _signals.stop(previous_wakeup)


def _unless_a_signals(hook: Callable[[sys.UnraisableHookArgs], object], unraisable: sys.UnraisableHookArgs) -> None:
    """Report an exception raised where it cannot propagate (a finalizer, a weakref callback) through `hook`,
    unless it is a signal's (told by its type: reading the arrived signals here would take them from the watch,
    which ends the run on them, `_SignalWatch`), so the run ends without a traceback."""
    if not isinstance(unraisable.exc_value, KeyboardInterrupt) and not _is_termination(unraisable.exc_value):
        hook(unraisable)


def _is_termination(error: BaseException | None) -> bool:
    """Whether the error is the exception a SIGTERM handler raises (Prefect's, or `_raise_termination`): none can be
    before Prefect's exceptions are imported, so nothing is imported here (a finalizer may run inside an import)."""
    exceptions = sys.modules.get("prefect.exceptions")
    return exceptions is not None and isinstance(error, exceptions.TerminationSignal)


def exit_status_of(command: Callable[[], int]) -> int:
    """Run `command`; an error a user can cause becomes its one line on stderr and its exit status. After a
    signal the process ends at once: a task still running in a worker thread cannot be stopped, only left."""
    try:
        with ending_on_signals():
            return command()
    except BaseException as error:
        known = failure(error)
        if known is None:
            raise
        status, message = known
        if status in (EXIT_INTERRUPTED, EXIT_TERMINATED):
            _end(status, message)
        print(f"copydesk: {one_line(message)}", file=sys.stderr)
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
