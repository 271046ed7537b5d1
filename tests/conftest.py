"""Shared fixtures: the project's config, the seed articles, a Prefect test harness and a Redis server."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.config import Config, load_config

REPO = Path(__file__).resolve().parent.parent
SEEDS_DIR = REPO / "raw"
SEED_NAMES = ("000_7f6a571870bd5064.txt", "001_fbf9d736c58d5084.txt", "004_956c6de8b9b8fa00.txt")

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


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
    """A temporary Prefect API and database for the whole session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


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


def run_installed_copydesk(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess:
    """Run the installed `copydesk` command as a new user would: no Prefect server, a fresh PREFECT_HOME."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_API")}
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    script = Path(sys.executable).with_name("copydesk")
    command = [str(script), *arguments]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=300, cwd=REPO, check=False)
