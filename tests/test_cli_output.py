"""What `copydesk run` prints and writes, run as a user runs it: a line per stage and no Prefect chatter by default,
Prefect's lines under --verbose, nothing under --quiet, files readable as the umask allows, and an up-to-date
folder answered without Prefect."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO, SEED_NAMES, SEEDS_DIR, free_loopback_port, with_migrated_database

STAGES = {
    "read": "files",
    "boilerplate": "articles",
    "clean": "articles",
    "match": "paragraphs",
    "spelling": "paragraphs",
    "correct": "articles",
    "cluster": "paragraphs",
    "write": "articles",
}
PREFECT_CHATTER = ("Starting temporary server", "Flow run", "Task run", "Finished in state", "| INFO")


def copydesk(tmp_path: Path, *arguments: str, api_url: str | None = None) -> subprocess.CompletedProcess:
    """The installed `copydesk` under umask 022, with a PREFECT_HOME of its own and no Prefect server unless named
    (the temporary server then finds a copy of the session's migrated database, `with_migrated_database`)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PREFECT_", "COPYDESK_"))}
    home = tmp_path / "prefect-home"
    home.mkdir(parents=True, exist_ok=True)
    env["PREFECT_HOME"] = str(home)
    if api_url:
        env["PREFECT_API_URL"] = api_url
    else:
        with_migrated_database(home)
    command = [str(Path(sys.executable).with_name("copydesk")), "run", *arguments]
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        cwd=REPO,
        check=False,
        preexec_fn=lambda: os.umask(0o022),
    )


@pytest.fixture(scope="module")
def raw(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("cli-output") / "raw"
    folder.mkdir()
    for name in SEED_NAMES:
        shutil.copy(SEEDS_DIR / name, folder / name)
    return folder


@pytest.fixture(scope="module")
def first_run(raw, tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    """A first run in the default mode, output not a terminal."""
    out = raw.parent / "clean"
    result = copydesk(tmp_path_factory.mktemp("home"), str(raw), "--out", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    return result, out


def test_default_output_is_a_line_per_stage_and_the_summary_without_prefect_chatter(first_run):
    result, out = first_run
    lines = result.stderr.splitlines()
    stage_lines = {line.split()[0]: line.split() for line in lines if line.split() and line.split()[0] in STAGES}
    assert list(stage_lines) == list(STAGES), result.stderr
    for stage, unit in STAGES.items():
        assert stage_lines[stage][2] == unit and stage_lines[stage][-1].endswith("s")
    assert int(stage_lines["clean"][1]) == 3 and int(stage_lines["read"][1]) == 3
    assert not [line for line in lines if any(chatter in line for chatter in PREFECT_CHATTER)], result.stderr
    assert result.stdout.startswith(f"copydesk: wrote {out}") and "corpus" in result.stdout
    stages = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["stages"]
    assert [(entry["stage"], entry["unit"]) for entry in stages] == list(STAGES.items())
    assert {entry["stage"]: entry["rows_out"] for entry in stages}["clean"] == 3, "articles kept by cleaning"


def test_outputs_are_readable_as_the_umask_allows(first_run):
    _, out = first_run
    published = (out / ".current").resolve()
    files = [path for path in published.rglob("*") if path.is_file()]
    assert len(files) > 15, "tables, corpus shards, report, manifest and state"
    modes = {path.relative_to(published).as_posix(): stat.S_IMODE(path.stat().st_mode) for path in files}
    assert set(modes.values()) == {0o644}, modes


def test_an_up_to_date_folder_is_answered_without_prefect(first_run, raw, tmp_path):
    """PREFECT_API_URL names a port nothing listens on: a run that reached Prefect would fail to connect."""
    _, out = first_run
    before = (out / "manifest.json").read_bytes()
    dead_api = f"http://127.0.0.1:{free_loopback_port()}/api"
    started = time.monotonic()
    result = copydesk(tmp_path, str(raw), "--out", str(out), api_url=dead_api)
    seconds = time.monotonic() - started
    assert result.returncode == 0, result.stderr[-3000:]
    assert "already up to date" in result.stdout and result.stderr == ""
    assert (out / "manifest.json").read_bytes() == before
    assert seconds < 60, f"{seconds:.1f}s"


def test_quiet_prints_nothing_and_verbose_prints_prefects_lines(first_run, raw, prefect_api_url, tmp_path):
    """--quiet as a new user runs it (the temporary server kept quiet too); --verbose on the session's API."""
    _, out = first_run
    quiet = copydesk(tmp_path / "quiet", str(raw), "--out", str(out), "--force", "--quiet")
    assert quiet.returncode == 0, quiet.stderr[-3000:]
    assert (quiet.stdout, quiet.stderr) == ("", "")
    verbose_out = str(tmp_path / "verbose-out")
    verbose = copydesk(tmp_path / "verbose", str(raw), "--out", verbose_out, "--verbose", api_url=prefect_api_url)
    assert verbose.returncode == 0, verbose.stderr[-3000:]
    assert "Finished in state Completed" in verbose.stderr and "Task run" in verbose.stderr
    assert "copydesk: wrote" in verbose.stdout
