"""The prefect.yaml deployments on a real local Prefect server: deploy, trigger, a worker runs them."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import REPO, SEED_NAMES, SEEDS_DIR
from tests.test_pipeline import syndicated_copy

PREFECT = str(Path(sys.executable).with_name("prefect"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> dict[str, str]:
    """A `prefect server start` process on a free loopback port, its environment for the CLI."""
    home = tmp_path_factory.mktemp("prefect-server")
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_")}
    # TMPDIR: the worker keeps its flows' code under TMPDIR/runner_storage, which would outlive the test in /tmp.
    env |= {"PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "TMPDIR": str(home)}
    with open(home / "server.log", "w") as log:
        process = subprocess.Popen(
            [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)], env=env, stdout=log, stderr=log
        )
        api = f"http://127.0.0.1:{port}/api"
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{api}/health", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    process.kill()
                    pytest.fail(f"prefect server did not start: {(home / 'server.log').read_text()[-2000:]}")
                time.sleep(0.5)
        yield env | {"PREFECT_API_URL": api}
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def prefect(env: dict[str, str], *arguments: str, timeout: float = 300) -> str:
    """Run the prefect CLI from the project folder; fail with its output if it fails."""
    result = subprocess.run(
        [PREFECT, "--no-prompt", *arguments],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, f"prefect {' '.join(arguments)}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


def run_ingest(env: dict[str, str], raw: Path, out: Path) -> dict:
    """Trigger the ingest deployment, let a worker execute it once, return the run's manifest."""
    prefect(env, "deployment", "run", "copydesk-run/ingest", "--param", f"raw_dir={raw}", "--param", f"out_dir={out}")
    prefect(env, "worker", "start", "--pool", "copydesk", "--run-once")
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def deployed(server) -> dict[str, str]:
    """The work pool and every deployment of prefect.yaml on the server."""
    prefect(server, "work-pool", "create", "copydesk", "--type", "process")
    deployed = prefect(server, "deploy", "--all")
    assert "copydesk-run/ingest" in deployed and "copydesk-run/rebuild" in deployed
    return server


# Reads a deployment, and its flow runs' states, back through the Prefect client (the server's API).
READ_BACK = """
import json, sys
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

with get_client(sync_client=True) as client:
    deployment = client.read_deployment_by_name(sys.argv[1])
    runs = client.read_flow_runs(deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id])))
    print(json.dumps({
        "limit": deployment.global_concurrency_limit.limit,
        "collision_strategy": deployment.concurrency_options.collision_strategy.value,
        "tags": deployment.tags,
        "parameters": {
            name: spec.get("description", "") for name, spec in deployment.parameter_openapi_schema["properties"].items()
        },
        "runs": {str(run.id): run.state.type.value for run in runs},
    }))
"""


def read_back(env: dict[str, str], name: str) -> dict:
    """The deployment `name` as the server holds it, with its flow runs' state types by id."""
    result = subprocess.run(
        [sys.executable, "-c", READ_BACK, name], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_deployments_allow_one_run_at_a_time_and_describe_their_parameters(deployed):
    for name in ("copydesk-run/ingest", "copydesk-run/rebuild"):
        deployment = read_back(deployed, name)
        assert (deployment["limit"], deployment["collision_strategy"]) == (1, "CANCEL_NEW"), name
        assert "copydesk" in deployment["tags"]
        assert all(deployment["parameters"].values()), deployment["parameters"]


def test_a_run_due_while_one_is_going_is_cancelled(deployed, tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "clean"
    raw.mkdir()
    for name in SEED_NAMES:
        shutil.copy(SEEDS_DIR / name, raw / name)
    before = set(read_back(deployed, "copydesk-run/ingest")["runs"])
    for _ in range(2):
        prefect(
            deployed,
            "deployment",
            "run",
            "copydesk-run/ingest",
            "--param",
            f"raw_dir={raw}",
            "--param",
            f"out_dir={out}",
        )
    prefect(deployed, "worker", "start", "--pool", "copydesk", "--run-once")
    runs = read_back(deployed, "copydesk-run/ingest")["runs"]
    states = sorted(state for run_id, state in runs.items() if run_id not in before)
    assert states == ["CANCELLED", "COMPLETED"], runs
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["counts"]["articles"] == 3


def test_deployed_ingest_runs_on_a_worker_and_reads_only_new_files(deployed, tmp_path):
    server = deployed
    raw, out = tmp_path / "raw", tmp_path / "clean"
    raw.mkdir()
    for name in SEED_NAMES:
        shutil.copy(SEEDS_DIR / name, raw / name)
    first = run_ingest(server, raw, out)
    assert (first["counts"]["articles"], first["inputs_read"]) == (3, 3)

    seed = (raw / SEED_NAMES[2]).read_text(encoding="utf-8")
    (raw / "copy.txt").write_text(syndicated_copy(seed), encoding="utf-8")
    second = run_ingest(server, raw, out)
    assert (second["counts"]["articles"], second["inputs_read"], second["inputs_reused"]) == (4, 1, 3)
    assert second["counts"]["duplicate_articles"] == 1, "the newcomer is deduplicated against the old articles"
