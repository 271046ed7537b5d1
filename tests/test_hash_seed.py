"""Outputs that do not hang on Python's hash seed: the same inputs run under two PYTHONHASHSEED values (each
process's sets and string hashes ordered otherwise) write the same published tables and the same state, the
spelling decisions included."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.conftest import COPYDESK, REPO, SEED_NAMES, SEEDS_DIR, import_benchmark, shared_api_environment

# What a run folder holds that names its time or its output folder.
DATED = {"manifest.json", "report.html"}


def run_under_hash_seed(raw: Path, out: Path, seed: str, api_url: str) -> None:
    """`copydesk run` in a process of its own whose Python hashes strings with `seed`."""
    env = shared_api_environment(out.parent / f"prefect-home-{seed}", api_url) | {"PYTHONHASHSEED": seed}
    command = [str(COPYDESK), "run", str(raw), "--out", str(out), "--config", str(REPO / "copydesk.toml"), "--quiet"]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300, cwd=REPO, check=False)
    assert done.returncode == 0, done.stderr


def run_folder_files(out: Path) -> dict[str, bytes]:
    """Every file of the published run folder (its state too) but the dated ones, by path."""
    run = (out / ".current").resolve()
    return {
        str(path.relative_to(run)): path.read_bytes()
        for path in sorted(run.rglob("*"))
        if path.is_file() and path.name not in DATED
    }


@pytest.fixture(scope="module")
def runs(prefect_api_url, tmp_path_factory) -> tuple[Path, Path]:
    """The seed articles run twice, under PYTHONHASHSEED 1 and 2."""
    folder = tmp_path_factory.mktemp("hash-seeds")
    raw = folder / "raw"
    raw.mkdir()
    for name in SEED_NAMES:
        shutil.copy(SEEDS_DIR / name, raw / name)
    outs = folder / "clean-1", folder / "clean-2"
    for seed, out in zip(("1", "2"), outs):
        run_under_hash_seed(raw, out, seed, prefect_api_url)
    return outs


def test_two_hash_seeds_write_the_same_spelling_decisions(runs):
    first, second = (pq.read_table(out / ".current" / "state" / "decisions.parquet") for out in runs)
    assert first.num_rows > 0
    assert first.equals(second)
    assert first["key"].to_pylist() == sorted(first["key"].to_pylist())


def test_two_hash_seeds_write_the_same_tables_and_state(runs):
    assert import_benchmark("bench_scale").differing_outputs(*runs) == []
    first, second = map(run_folder_files, runs)
    assert first.keys() == second.keys()
    differing = [name for name in first if first[name] != second[name]]
    # A Parquet file of the state may differ in its bytes (how its writer paged the same rows), never in its rows.
    assert [name for name in differing if not name.endswith(".parquet") or not same_rows(runs, name)] == []


def same_rows(runs: tuple[Path, Path], name: str) -> bool:
    """Whether the two runs' Parquet files at `name` hold the same rows in the same order."""
    first, second = (pq.read_table(out / ".current" / name) for out in runs)
    return first.equals(second)
