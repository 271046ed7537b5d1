"""Shared fixtures: the project's config, the seed articles, and a Prefect test harness."""

from __future__ import annotations

import os
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
