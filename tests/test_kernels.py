"""The compiled kernels warmed at install (`flows.runtime.kernels`, `make install`): every cached kernel of the
package is compiled by the warm-up, with the argument types runs give it, so a run after it compiles nothing."""

from __future__ import annotations

import importlib
import os
import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from numba.core.registry import CPUDispatcher

import cleaners
import dedup
from tests.conftest import REPO, SEED_NAMES, SEEDS_DIR, run_installed_copydesk


@pytest.fixture(scope="module")
def warmed_cache(tmp_path_factory) -> Path:
    """A numba cache folder of its own, filled by the warm-up `make install` runs."""
    cache = tmp_path_factory.mktemp("numba-cache")
    environment = os.environ | {"NUMBA_CACHE_DIR": str(cache)}
    command = [sys.executable, "-m", "flows.runtime.kernels"]
    subprocess.run(command, env=environment, cwd=REPO, check=True, timeout=600)
    return cache


def cached_kernels() -> list[tuple[str, str]]:
    """(module's last name, function name) of every kernel of cleaners and dedup that numba caches to disk."""
    found = []
    for package in (cleaners, dedup):
        for module_info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package.__name__}.{module_info.name}")
            for name, value in vars(module).items():
                if isinstance(value, CPUDispatcher) and value.__module__ == module.__name__ and value.stats.cache_path:
                    found.append((module_info.name, name))
    return found


def cache_files(cache: Path) -> dict[str, tuple[int, int]]:
    """Every file of a numba cache folder with its modification time and size."""
    return {
        str(path.relative_to(cache)): (path.stat().st_mtime_ns, path.stat().st_size) for path in cache.rglob("*.nb*")
    }


def test_the_warm_up_compiles_every_cached_kernel_of_the_package(warmed_cache: Path) -> None:
    kernels = cached_kernels()
    assert len(kernels) >= 14  # the package's kernels: a broken search must not pass by finding none
    indexes = [path.name for path in warmed_cache.rglob("*.nbi")]
    missing = [
        kernel for kernel in kernels if not any(name.startswith(f"{kernel[0]}.{kernel[1]}-") for name in indexes)
    ]
    assert missing == []


def test_a_first_run_and_a_later_one_after_the_warm_up_compile_nothing(
    warmed_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in SEED_NAMES:
        shutil.copy(SEEDS_DIR / name, raw / name)
    words = (SEEDS_DIR / SEED_NAMES[0]).read_text().split(" ")
    words[len(words) // 2] = "Pyongyangg"  # a copy that differs by a word: the spelling aligns the two copies
    (raw / "copy.txt").write_text(" ".join(words))
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(warmed_cache))
    before = cache_files(warmed_cache)

    first = run_installed_copydesk(tmp_path, "run", str(raw), "--out", str(tmp_path / "clean"))
    words[len(words) // 3] = "Yongbyonn"
    (raw / "copy2.txt").write_text(" ".join(words))
    later = run_installed_copydesk(tmp_path, "run", str(raw), "--out", str(tmp_path / "clean"))

    assert (first.returncode, later.returncode) == (0, 0), first.stderr + later.stderr
    assert cache_files(warmed_cache) == before
