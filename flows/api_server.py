"""Prefect's temporary API server (started when PREFECT_API_URL is unset), made never to outlive the command.

Its process gets a session of its own, so a terminal's Ctrl-C reaches copydesk and not the server copydesk
still has to report the interrupted run to, and the kernel sends it SIGTERM when the process that started it
dies, however that process ends (SIGKILL included: Linux's PR_SET_PDEATHSIG). Its output goes to
PREFECT_HOME/temporary-server.log, not to the terminal, where it would land after copydesk's last line.
"""

from __future__ import annotations

import ctypes
import functools
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace

from prefect.server.api import server as prefect_server
from prefect.server.api.server import SubprocessASGIServer
from prefect.settings import (
    PREFECT_API_URL,
    PREFECT_HOME,
    PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS,
    temporary_settings,
)

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
SERVER_LOG = "temporary-server.log"
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
    prctl = ctypes.CDLL(None, use_errno=True).prctl if sys.platform == "linux" else None
    home = PREFECT_HOME.value()
    home.mkdir(parents=True, exist_ok=True)
    original = prefect_server.subprocess
    with open(home / SERVER_LOG, "ab") as log:
        popen = functools.partial(
            subprocess.Popen,
            preexec_fn=functools.partial(_die_with, os.getpid(), prctl),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        prefect_server.subprocess = SimpleNamespace(Popen=popen, TimeoutExpired=subprocess.TimeoutExpired)
        try:
            yield
        finally:
            prefect_server.subprocess = original


@contextmanager
def temporary_api_server() -> Iterator[None]:
    """Without PREFECT_API_URL, start Prefect's temporary server now, from this thread, dying with this process,
    and point this process (and so the workers of a local Dask cluster) at it; Prefect's own code that would
    start one finds this one running. Prefect stops it at exit, once its log and event workers have drained."""
    if PREFECT_API_URL.value():
        yield
        return
    with servers_die_with_this_process():
        server = SubprocessASGIServer()
        server.start(timeout=max(STARTUP_SECONDS, PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value()))
    with temporary_settings({PREFECT_API_URL: server.api_url}):
        yield
