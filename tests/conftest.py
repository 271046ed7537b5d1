"""Shared fixtures: the project's config, the seed articles, a Prefect test harness and a Redis server; and a
check at the end of the session that no Prefect server the tests started is still running.

What a test shares to stay fast (the suite runs on 2 CI cores; each Prefect server start costs some 10 s):
- `prefect_harness` (session): one temporary Prefect API and database for every flow run in the test process
  (`run_cli` in tests/test_pipeline.py runs the flow in-process on it).
- `prefect_api_url` (session): that API's URL, for the installed command in a subprocess:
  `run_installed_copydesk(tmp_path, ..., api_url=prefect_api_url)` or `env=shared_api_environment(home,
  prefect_api_url)` for a Popen. The command then starts no server of its own. Only a test about the temporary
  server itself (that a new user's command starts one, stops it, keeps it quiet) runs without it, and then on a
  copy of a Prefect database migrated once in the session (`new_user_environment`): the migrations cost a user's
  first command some 7 s, which one test (test_pipeline's console script test) still pays.
- `seeds_run` (session): the raw folder of the seeds and the output folder of one run over it, to read only.
  A test that changes either takes its own copy: `copy_run(seeds_run, tmp_path)`.

`make test` runs the files in worker processes (pytest-xdist, `--dist loadfile`: a file's tests stay together, so
its module fixtures run once). Each worker is a test session of its own: the session fixtures above start once
per worker, and nothing a worker uses is shared with another: ports are free ones asked of the kernel, folders
are tmp_path's, and each session has its own PREFECT_HOME (below). Workers take files in collection order, so
the slowest files are collected first (`SLOWEST_FILES`): a long file started last would leave the other worker
idle while it ran.
"""

from __future__ import annotations

import atexit
import functools
import importlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from types import ModuleType

import pytest

from flows.config import Config, load_config

REPO = Path(__file__).resolve().parent.parent
SEEDS_DIR = REPO / "raw"
SEED_NAMES = ("000_7f6a571870bd5064.txt", "001_fbf9d736c58d5084.txt", "004_956c6de8b9b8fa00.txt")

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# A Prefect home of this session's own (set before Prefect is imported): the harness's server log and Prefect's
# files are not shared with another worker of the same run, nor with copydesk runs outside the tests.
SESSION_PREFECT_HOME = tempfile.mkdtemp(prefix="copydesk-tests-prefect-home-")
os.environ["PREFECT_HOME"] = SESSION_PREFECT_HOME
atexit.register(shutil.rmtree, SESSION_PREFECT_HOME, ignore_errors=True)
# Dask clusters of the tests keep their lock files there too, not in /tmp/dask-scratch-space.
os.environ["DASK_TEMPORARY_DIRECTORY"] = str(Path(SESSION_PREFECT_HOME) / "dask")
# Every process the tests start inherits this mark, so the session's end finds the servers it left running.
SESSION_MARK = f"COPYDESK_TEST_SESSION={os.getpid()}-{time.time_ns()}"
os.environ[SESSION_MARK.partition("=")[0]] = SESSION_MARK.partition("=")[2]
PREFECT_SERVER_APP = b"prefect.server.api.server:create_app"


def prefect_servers() -> dict[int, Path]:
    """Running Prefect API server processes (Prefect's temporary uvicorn), by pid, with their /proc folder."""
    servers = {}
    for folder in Path("/proc").iterdir():
        try:
            if folder.name.isdigit() and PREFECT_SERVER_APP in (folder / "cmdline").read_bytes() and running(folder):
                servers[int(folder.name)] = folder
        except OSError:
            continue
    return servers


def running(folder: Path) -> bool:
    """True unless the process whose /proc folder this is has ended and waits to be reaped (a zombie)."""
    return (folder / "stat").read_text().rpartition(")")[2].split()[0] != "Z"


def parent_pid(folder: Path) -> int:
    """The parent process id of the process whose /proc folder this is."""
    return int((folder / "stat").read_text().rpartition(")")[2].split()[1])


def servers_of_this_session() -> list[int]:
    """Prefect servers started by this test session (they carry its mark) that still run."""
    marked = []
    for pid, folder in prefect_servers().items():
        try:
            if SESSION_MARK.encode() in (folder / "environ").read_bytes().split(b"\0"):
                marked.append(pid)
        except OSError:
            continue
    return marked


# The files whose tests take longest (each starts Prefect servers, runs the flow many times or drives Chromium),
# slowest first; the rest follow in their usual order. Under pytest-xdist a worker takes the next file when it runs
# low, so these start first. A new slow file belongs here by its time alone: `pytest tests/test_x.py --durations=5`.
SLOWEST_FILES = (
    "test_kill_stages.py",
    "test_deployment.py",
    "test_failing_well.py",
    "test_review_server.py",
    "test_scale_out.py",
    "test_incremental_rebuild.py",
    "test_cli_output.py",
    "test_workers.py",
    "test_review.py",
    "test_report_browser.py",
    "test_pipeline.py",
    "test_hostile_inputs.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Collect the slowest files first (a stable sort keeps each file's tests, and the other files, in order)."""
    rank = {name: position for position, name in enumerate(SLOWEST_FILES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(SLOWEST_FILES)))


@pytest.fixture(scope="session", autouse=True)
def no_prefect_server_outlives_the_tests() -> Iterator[None]:
    """Fail the session if a Prefect server any test started (through copydesk or the harness) still runs at
    its end, after a grace period for servers whose parent just ended."""
    yield
    deadline = time.monotonic() + 20
    while (left := servers_of_this_session()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not left, f"Prefect servers started by the tests still run: pids {left}"


@pytest.fixture(scope="session")
def config() -> Config:
    """The project's own copydesk.toml."""
    return load_config(REPO / "copydesk.toml")


@pytest.fixture(scope="session")
def seeds() -> dict[str, str]:
    """The three real scraped seed articles, by file name."""
    return {name: (SEEDS_DIR / name).read_text(encoding="utf-8") for name in SEED_NAMES}


@pytest.fixture(scope="session")
def prefect_harness():
    """A temporary Prefect API and database for the whole session; its start-up may take
    `COPYDESK_TEST_SERVER_TIMEOUT` seconds (120 unless set: a loaded machine needs more)."""
    from prefect.testing.utilities import prefect_test_harness

    from flows.runtime.api_server import servers_die_with_this_process

    with ExitStack() as stack:
        with servers_die_with_this_process():
            stack.enter_context(
                prefect_test_harness(server_startup_timeout=int(os.environ.get("COPYDESK_TEST_SERVER_TIMEOUT", "120")))
            )
        yield


@pytest.fixture(scope="session")
def prefect_api_url(prefect_harness) -> str:
    """The URL of the session's temporary Prefect API, for commands run in a subprocess to share."""
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value()


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless, driven by Playwright; for modules that skip when either is missing."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=shutil.which("chromium"), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def free_loopback_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A real redis-server (Debian's, installed by `make system-deps`) on a free loopback port, persistence
    off, stopped after the test."""
    import redis

    server = shutil.which("redis-server")
    if server is None:
        if os.geteuid() != 0:
            pytest.skip("redis-server is not installed and only root may install it (apt-get install redis-server)")
        pytest.fail("redis-server is not installed: `make system-deps` installs it (apt-get install redis-server)")
    port = free_loopback_port()
    folder = tmp_path / "redis"
    folder.mkdir()
    options = ["--bind", "127.0.0.1", "--port", str(port), "--dir", str(folder), "--save", "", "--appendonly", "no"]
    with (folder / "server.log").open("wb") as log:
        process = subprocess.Popen([server, *options], stdout=log, stderr=subprocess.STDOUT)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with redis.Redis.from_url(url) as client:
                    client.ping()
                break
            except redis.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"redis-server did not answer PING: {(folder / 'server.log').read_text()[-2000:]}")
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


COPYDESK = Path(sys.executable).with_name("copydesk")


def new_user_environment(home: Path, migrated: bool = True) -> dict[str, str]:
    """The environment of a user's shell: no Prefect server named, a PREFECT_HOME of its own holding a copy of the
    session's migrated Prefect database (`migrated`), else none, as on a new user's first command."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_API")}
    env["PREFECT_HOME"] = str(home)
    if migrated:
        with_migrated_database(home)
    return env


def with_migrated_database(home: Path) -> None:
    """Give the PREFECT_HOME `home` a copy of the session's migrated Prefect database, unless it holds one."""
    if not (home / "prefect.db").exists():
        home.mkdir(parents=True, exist_ok=True)
        shutil.copy(migrated_prefect_database(), home / "prefect.db")


@functools.cache
def migrated_prefect_database() -> Path:
    """A Prefect database migrated once in this session, for users' homes to copy: a temporary server migrates a
    database it finds empty, some 7 s that only a new user's first command pays."""
    home = Path(SESSION_PREFECT_HOME) / "migrated"
    command = [str(Path(sys.executable).with_name("prefect")), "server", "database", "upgrade", "-y"]
    env = new_user_environment(home, migrated=False)
    subprocess.run(command, env=env, capture_output=True, timeout=300, check=True)
    return home / "prefect.db"


def shared_api_environment(home: Path, api_url: str) -> dict[str, str]:
    """A user's environment (a PREFECT_HOME of its own) whose commands use the Prefect API at `api_url`."""
    return new_user_environment(home, migrated=False) | {"PREFECT_API_URL": api_url}


def run_installed_copydesk(
    tmp_path: Path, *arguments: str, api_url: str | None = None, migrated: bool = True
) -> subprocess.CompletedProcess:
    """Run the installed `copydesk` command as a user would, with a PREFECT_HOME of its own: with no Prefect server
    (it starts its temporary one, on a copy of the session's migrated database unless not `migrated`), or on the
    API at `api_url` (the `prefect_api_url` fixture's)."""
    home = tmp_path / "prefect-home"
    env = shared_api_environment(home, api_url) if api_url else new_user_environment(home, migrated)
    command = [str(COPYDESK), *arguments]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=300, cwd=REPO, check=False)


def copy_run(run: tuple[Path, Path], folder: Path) -> tuple[Path, Path]:
    """A copy of a run's raw and output folders (state, run folders and file times too) in `folder`, to change."""
    raw, out = run
    shutil.copytree(raw, folder / "raw", symlinks=True)
    shutil.copytree(out, folder / "clean", symlinks=True)
    return folder / "raw", folder / "clean"


@pytest.fixture(scope="session")
def seeds_run(prefect_harness, tmp_path_factory) -> tuple[Path, Path]:
    """A raw folder of the seeds and the output folder of one run over it with the project's config; read only:
    a test that changes them works on `copy_run(seeds_run, tmp_path)`."""
    from flows.cli import main

    folder = tmp_path_factory.mktemp("seeds-run")
    raw, out = folder / "raw", folder / "clean"
    raw.mkdir()
    for name in SEED_NAMES:
        shutil.copy(SEEDS_DIR / name, raw / name)
    assert main(["run", str(raw), "--out", str(out), "--config", str(REPO / "copydesk.toml")]) == 0
    return raw, out


def import_benchmark(name: str) -> ModuleType:
    """A module of benchmarks/, imported as the benchmarks import each other (their folder on the path)."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
