"""Prefect's temporary API server (started when PREFECT_API_URL is unset), made never to outlive the command.

Its process gets a session of its own, so a terminal's Ctrl-C reaches copydesk and not the server copydesk
still has to report the interrupted run to, and the kernel sends it SIGTERM when the process that started it
dies, however that process ends (SIGKILL included: Linux's PR_SET_PDEATHSIG). Its output goes to
PREFECT_HOME/temporary-server.log, not to the terminal, where it would land after copydesk's last line.
`copydesk run` launches it before loading Prefect or the flow, so the server's start-up (seconds of imports and
database checks) runs beside copydesk's own imports instead of after them: launching imports nothing of Prefect
(the server's process reads Prefect's settings itself, `flows.runtime.temporary_server`).
"""

from __future__ import annotations

import atexit
import ctypes
import functools
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import IO

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
# The app the temporary server serves, named on its command line as on uvicorn's (and Prefect's own server's).
SERVER_APP = "prefect.server.api.server:create_app"
# The script the temporary server's process runs (`flows.runtime.temporary_server`).
SERVER_SCRIPT = Path(__file__).with_name("temporary_server.py")
# Prefect waits 20 s by default; a busy machine's first start (a fresh database to migrate) takes longer.
STARTUP_SECONDS = 120


def _die_with(parent: int, prctl) -> None:
    """Run in the server's process before it starts: a session of its own, and SIGTERM when `parent` dies."""
    os.setsid()
    if prctl is not None:
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)


@contextmanager
def servers_die_with_this_process() -> Iterator[None]:
    """While inside, every temporary Prefect API server this process starts dies with it (the one thread that
    starts it must live as long as the process: the kernel signals when that thread ends)."""
    from prefect.server.api import server as prefect_server  # the server's own modules: seconds to import
    from prefect.settings import get_current_settings

    from flows.runtime.temporary_server import server_log

    original = prefect_server.subprocess
    with open(server_log(get_current_settings()), "ab") as log:
        popen = functools.partial(subprocess.Popen, **_dying_with_this_process(log))
        prefect_server.subprocess = SimpleNamespace(Popen=popen, TimeoutExpired=subprocess.TimeoutExpired)
        try:
            yield
        finally:
            prefect_server.subprocess = original


def _dying_with_this_process(log: IO[bytes]) -> dict:
    """Popen's arguments for a server process that dies with this one and writes to `log`."""
    prctl = ctypes.CDLL(None, use_errno=True).prctl if sys.platform == "linux" else None
    preexec = functools.partial(_die_with, os.getpid(), prctl)
    return {"preexec_fn": preexec, "stdout": log, "stderr": subprocess.STDOUT}


def _free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LaunchedServer:
    """Prefect's temporary API server, launched at once and waited for only when the flow needs its API: the app
    Prefect 3's own `SubprocessASGIServer` serves (uvicorn serving `create_app`, no UI), in a process of its own
    (`flows.runtime.temporary_server`), without importing Prefect into this one."""

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None
        self.port = 0
        # Its output goes to PREFECT_HOME's log once its process has read the settings that name PREFECT_HOME; what
        # it says before (a PREFECT_HOME it cannot write, a setting Prefect rejects) to this file, for the error.
        self.early_output = tempfile.TemporaryFile()  # noqa: SIM115 (open while the server lives: stop closes it)
        self._launch()
        atexit.register(self.stop)  # registered before Prefect's log and event workers: runs after they drain

    def _launch(self) -> None:
        self.port = _free_port()
        # Run by its path: the module beside this one, the code of the checkout this process runs (a worktree's, not
        # the one the venv installed), importing nothing of copydesk; -P puts no folder of the user's on its path.
        command = [sys.executable, "-P", str(SERVER_SCRIPT), SERVER_APP, str(self.port)]
        self.early_output.seek(0)
        self.early_output.truncate()
        self.process = subprocess.Popen(command, **_dying_with_this_process(self.early_output))

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def wait_until_healthy(self, timeout: float) -> None:
        """Return once the API answers its health check; relaunch on another port if this one was taken
        (uvicorn's exit status 3); RuntimeError if the server ends or `timeout` seconds pass first."""
        import httpx

        self._announce()
        deadline = time.monotonic() + timeout
        with httpx.Client() as client:
            while time.monotonic() < deadline:
                if self.process.poll() == 3:
                    self._launch()
                    self._announce()
                elif self.process.poll() is not None:
                    raise RuntimeError(
                        f"Prefect's temporary server ended with status {self.process.returncode}{self._last_words()}"
                    )
                try:
                    if client.get(f"{self.api_url}/health").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
        raise RuntimeError(f"Prefect's temporary server did not answer within {timeout:.0f} s")

    def _last_words(self) -> str:
        """The last line the server wrote before it had a log (its error), after a colon; nothing if it wrote none."""
        self.early_output.seek(0)
        lines = self.early_output.read().decode("utf-8", "replace").strip().splitlines()
        return f": {lines[-1]}" if lines else ""

    def _announce(self) -> None:
        """Prefect's own words for a launch (shown with --verbose), so a log tells how many temporary servers a run
        started."""
        from prefect.logging import get_logger

        get_logger("server").info("Starting temporary server on http://127.0.0.1:%d", self.port)

    def stop(self) -> None:
        """End the server (SIGTERM, then SIGKILL after five seconds) and reap it."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None
        self.early_output.close()


def launch_api_server() -> LaunchedServer | None:
    """Unless this process knows of a Prefect API already, launch Prefect's temporary server now, from this
    thread (which must live as long as the process: the kernel signals the server when it ends); None when an API
    is configured."""
    return None if _api_known_here() else LaunchedServer()


def _api_known_here() -> bool:
    """Whether PREFECT_API_URL is set in this process's environment, or in Prefect's settings once Prefect is
    loaded (a caller's settings context); one set only in a Prefect profile or settings file the server's process
    finds itself, and ends without serving."""
    if os.environ.get("PREFECT_API_URL"):
        return True
    settings = sys.modules.get("prefect.settings")
    return settings is not None and bool(settings.PREFECT_API_URL.value())


def use_api_server(launched: LaunchedServer | None) -> None:
    """Once the `launched` server answers, point this process at it for as long as it lives (to the process's
    exit, when Prefect's log and event workers drain into it): every thread, Prefect's own included (which
    would otherwise start a server of their own), and the worker processes it starts. None, or an API configured
    in Prefect's settings after all: the configured API."""
    if launched is None:
        return
    from prefect.context import refresh_global_settings_context
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS

    if PREFECT_API_URL.value():  # the server's process saw it too, and ended without serving
        launched.stop()
        return
    launched.wait_until_healthy(max(STARTUP_SECONDS, PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value()))
    os.environ[PREFECT_API_URL.name] = launched.api_url
    refresh_global_settings_context()
