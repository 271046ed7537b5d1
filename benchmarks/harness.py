"""What every benchmark shares: running the copydesk command line and reading its outputs."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pyarrow.parquet as pq

PROJECT = Path(__file__).resolve().parent.parent


def copydesk_command(raw: Path, out: Path, bench: str, *options: str) -> tuple[list[str], dict[str, str]]:
    """The command line of `copydesk run raw --out out *options` and its environment (exits when not installed).

    It runs `python -m flows.cli` from PROJECT, so a benchmark measures the code of the checkout it lives in
    (a git worktree's), not whichever checkout the venv's `copydesk` script was installed from."""
    if not Path(sys.executable).with_name("copydesk").exists():
        sys.exit(f"{bench}: copydesk is not installed beside {sys.executable}; run with the project's .venv/bin/python")
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    return [sys.executable, "-m", "flows.cli", "run", str(raw), "--out", str(out), *options], env


def run_copydesk(raw: Path, out: Path, bench: str, *options: str) -> float:
    """Run `copydesk run raw --out out --force *options` (so a changed cleaner is never skipped); return wall
    seconds."""
    command, env = copydesk_command(raw, out, bench, "--force", *options)
    started = time.monotonic()
    try:
        subprocess.run(command, check=True, env=env, cwd=PROJECT, capture_output=True, text=True)
    except subprocess.CalledProcessError as error:
        sys.exit(f"{bench}: copydesk failed on {raw} (exit {error.returncode}):\n{error.stderr[-4000:]}")
    return time.monotonic() - started


def fresh_folder(path: Path) -> Path:
    """An empty folder at path (a benchmark's own raw folder, rewritten every run)."""
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def read_table(out: Path, name: str, columns: list[str]) -> list[dict]:
    """Rows of one of copydesk's Parquet outputs."""
    return pq.read_table(out / name, columns=columns).to_pylist()


def bbc_records(path: Path) -> list[dict]:
    """Every record (id, category, title, text) of the BBC JSON-lines file, in file order."""
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def format_table(headers: Sequence[str], rows: Sequence[Sequence[object]], align: str, separator: str = "  ") -> str:
    """A plain-text table; `align` holds one letter a column, "l" (left) or "r" (right)."""
    cells = [[str(cell) for cell in row] for row in rows]
    widths = [max(len(header), *(len(row[i]) for row in cells)) for i, header in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        """One row, padded to the column widths."""
        return separator.join(v.rjust(w) if a == "r" else v.ljust(w) for v, w, a in zip(values, widths, align)).rstrip()

    return "\n".join([line(headers), line(["-" * width for width in widths]), *map(line, cells)])
