"""When `copydesk run` launches Prefect's temporary server: before it loads Prefect or lists RAW_DIR, so the
server's start-up (seconds of imports) runs beside the command's own; and none serves when a Prefect profile names
an API."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from flows.runtime.api_server import SERVER_APP
from tests.conftest import REPO, SEED_NAMES, SEEDS_DIR, new_user_environment

# `copydesk run` in-process, noting for every process it starts whether Prefect was loaded by then, and whether
# RAW_DIR (the command's second word) was listed.
NOTING_LAUNCHES = """
import json, os, subprocess, sys
from flows.cli import main

launches, listed = [], []
popen_init, scandir = subprocess.Popen.__init__, os.scandir
def noted(self, args, *rest, **options):
    launches.append(
        {"prefect_loaded": "prefect" in sys.modules, "raw_listed": bool(listed), "command": [str(w) for w in args]}
    )
    popen_init(self, args, *rest, **options)
def noted_listing(path="."):
    if not isinstance(path, int) and os.fspath(path).startswith(sys.argv[2]):
        listed.append(os.fspath(path))
    return scandir(path)
subprocess.Popen.__init__ = noted
os.scandir = noted_listing
status = main(sys.argv[1:])
print(json.dumps({"status": status, "launches": launches}))
"""


def seeds_folder(folder: Path) -> Path:
    """A raw folder of the seed articles."""
    folder.mkdir()
    for name in SEED_NAMES:
        shutil.copy(SEEDS_DIR / name, folder / name)
    return folder


def test_the_server_is_launched_before_the_command_loads_prefect_or_lists_raw_dir(tmp_path):
    """A first run, then one finding RAW_DIR up to date (which stops the server unused)."""
    raw = seeds_folder(tmp_path / "raw")
    command = [sys.executable, "-c", NOTING_LAUNCHES, "run", str(raw), "--out", str(tmp_path / "clean"), "--quiet"]
    env = new_user_environment(tmp_path / "prefect-home")
    for _ in range(2):
        result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO, timeout=600, check=False)
        assert result.returncode == 0, result.stderr[-3000:]
        noted = json.loads(result.stdout.splitlines()[-1])
        assert noted["status"] == 0
        first = noted["launches"][0]
        assert SERVER_APP in first["command"], "the first process a run starts is the server"
        assert not first["prefect_loaded"], "launched before Prefect was imported"
        assert not first["raw_listed"], "launched before RAW_DIR was listed"
        manifest = json.loads((tmp_path / "clean" / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["inputs"] == len(SEED_NAMES)


def test_an_api_named_only_in_a_prefect_profile_is_used_and_no_server_serves(tmp_path, prefect_api_url):
    """The command cannot tell without loading Prefect: the server's process reads the profile and ends unserved."""
    raw = seeds_folder(tmp_path / "raw")
    home = tmp_path / "prefect-home"
    home.mkdir()
    profile = f'active = "shared"\n\n[profiles.shared]\nPREFECT_API_URL = "{prefect_api_url}"\n'
    (home / "profiles.toml").write_text(profile, encoding="utf-8")
    env = new_user_environment(home, migrated=False)
    command = [str(Path(sys.executable).with_name("copydesk")), "run", str(raw), "--out", str(tmp_path / "clean")]
    result = subprocess.run(
        [*command, "--verbose"], capture_output=True, text=True, env=env, cwd=REPO, timeout=600, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Finished in state Completed" in result.stderr
    assert "Starting temporary server" not in result.stderr
    assert not (home / "temporary-server.log").exists(), "no server wrote its log"
    assert not (home / "prefect.db").exists(), "no server made a database of its own"


def test_a_flows_package_in_the_working_folder_does_not_stand_in_for_the_servers(tmp_path):
    """Prefect projects often keep a `flows` folder: the server's process (`-m flows.runtime...`) must not import it."""
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "__init__.py").write_text('raise SystemExit("the working folder\'s flows")\n')
    env = new_user_environment(tmp_path / "prefect-home")
    script = "from flows.runtime.api_server import LaunchedServer\nLaunchedServer().wait_until_healthy(300)"
    command = [sys.executable, "-P", "-c", script]  # -P: this script, too, imports copydesk's own flows
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-3000:]


def test_the_server_runs_the_code_of_the_checkout_that_launches_it(tmp_path):
    """A checkout's `python -m flows.cli` (a worktree's benchmarks) launches its own server module, not the one of
    the checkout the venv installed."""
    checkout = tmp_path / "checkout"
    (checkout / "flows" / "runtime").mkdir(parents=True)
    for name in ("flows/__init__.py", "flows/runtime/__init__.py", "flows/runtime/api_server.py"):
        shutil.copy(REPO / name, checkout / name)
    ran = tmp_path / "ran"
    (checkout / "flows" / "runtime" / "temporary_server.py").write_text(
        f"from pathlib import Path\nPath({str(ran)!r}).write_text('this checkout')\n", encoding="utf-8"
    )
    env = new_user_environment(tmp_path / "prefect-home", migrated=False)
    env.pop("PYTHONPATH", None)
    script = "from flows.runtime.api_server import LaunchedServer\nserver = LaunchedServer()\n"
    script += "try:\n    server.process.wait(timeout=60)\nfinally:\n    server.stop()"
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=checkout, timeout=600, check=False
    )
    assert ran.exists(), result.stderr[-3000:]


def test_a_server_that_ends_before_it_has_a_log_says_why(tmp_path, monkeypatch):
    """A PREFECT_HOME the server cannot make (a file stands there) ends it before it opens its log: the error names
    the cause instead of a bare exit status."""
    from flows.runtime.api_server import LaunchedServer

    home = tmp_path / "home"
    home.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("PREFECT_HOME", str(home))
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    server = LaunchedServer()
    try:
        with pytest.raises(RuntimeError, match=r"ended with status 1: \w*Error: .*home"):
            server.wait_until_healthy(60)
    finally:
        server.stop()
