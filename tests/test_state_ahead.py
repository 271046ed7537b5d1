"""The previous run's state is read on a thread of its own, part by part, as the stages come to need it; `copydesk
run` begins reading it before the flow loads and the server starts, and the flow takes what it began only when it
is the state of the run folder published when the flow holds OUT_DIR. Each read task hashes the inputs it read."""

from __future__ import annotations

import hashlib
import shutil

import pyarrow as pa
import pyarrow.parquet as pq

from flows.config import load_config
from flows.outputs.manifest import STAMPS
from flows.outputs.publish import CURRENT
from flows.reading.readers import discover_inputs
from flows.stages.shard_steps import read_into_shard
from flows.state import folder
from flows.state.folder import STATE_FOLDER, State, load_state, state_read_ahead
from tests.conftest import REPO, SEED_NAMES, SEEDS_DIR, copy_run


def test_the_state_read_on_its_thread_holds_what_the_previous_run_stored(seeds_run):
    raw, out = seeds_run
    state = load_state(out / CURRENT)
    stored = pq.read_table(out / CURRENT / STATE_FOLDER / "inputs.parquet")
    assert state.inputs.table.equals(stored) and stored["source_path"].to_pylist() == sorted(SEED_NAMES)
    assert stored["articles"].to_pylist() == [1] * len(SEED_NAMES)
    assert [shard.parent.name for shard in state.shards] == ["prepared"]
    assert pq.read_metadata(state.line_counts.counts).num_rows and state.finished.table.num_rows == len(SEED_NAMES)
    assert state.bands.folder is not None and state.vocabulary.counts.num_rows and state.canonical
    paths = pa.array(sorted(SEED_NAMES))
    assert (state.inputs.reused_rows(raw, paths, discover_inputs(raw).stamps) == range(len(paths))).all()


def test_without_a_state_every_part_is_empty():
    state = State()
    assert not state.inputs.table.num_rows and state.shards == [] and not len(state.canonical)
    assert state.bands.folder is None and not state.finished.table.num_rows and not state.clusters.table.num_rows
    assert (state.inputs.reused_rows(REPO, pa.array(SEED_NAMES[:1]), pa.table([[1], [1]], STAMPS)) == -1).all()


def test_the_later_stages_parts_are_read_only_once_the_stage_before_them_asks_for_its_own(seeds_run, monkeypatch):
    """The spelling evidence waits for the match stage's band store, the spelling applied for the evidence, the
    cluster stage's parts for the spelling applied: the flow does not hold them in the first stages. A part asked
    for before the part that lets it be read is read then, alone; one let go before it was read is never read."""
    read: list[str] = []

    def recorded(name: str, load):
        return lambda path: read.append(name) or load(path)

    monkeypatch.setattr(folder, "_PARTS", {name: recorded(name, load) for name, load in folder._PARTS.items()})
    state = load_state(seeds_run[1] / CURRENT)
    assert state.finished.table.num_rows == len(SEED_NAMES)
    assert read[:4] == ["inputs", "shards", "line_counts", "finished"]  # read from the start, as bands
    assert state.clusters.table.schema.names and read[4:] == ["bands", "clusters"]  # asked early: read then, alone
    state.let_go("vocabulary")
    assert state.bands.folder is not None and not state.vocabulary.counts.num_rows
    assert state.spelled.decisions is not None and read[4:7] == ["bands", "clusters", "spelled"]
    assert state.canonical and read[4:] == ["bands", "clusters", "spelled", "canonical"]
    state = load_state(seeds_run[1] / CURRENT)
    assert state.bands.folder is not None and state.vocabulary.counts.num_rows
    assert read[8:14] == ["inputs", "shards", "line_counts", "finished", "bands", "vocabulary"]


def test_the_flow_takes_the_state_read_ahead_only_for_the_run_folder_published_now(seeds_run, tmp_path):
    _, out = copy_run(seeds_run, tmp_path)
    with state_read_ahead(out / CURRENT):
        ahead = load_state(out / CURRENT)
        assert load_state(out / CURRENT) is not ahead  # taken once
    with state_read_ahead(out / CURRENT):
        published = (out / CURRENT).resolve()
        begun = State(out / CURRENT)
        republished = published.with_name(published.name + "-later")
        shutil.copytree(published, republished, symlinks=True)
        (out / CURRENT).unlink()
        (out / CURRENT).symlink_to(republished)
        # a state begun before the publishing reads its run folder's parts, even those it reads after
        assert begun.folder == published / STATE_FOLDER and begun.vocabulary.counts.num_rows
        later = load_state(out / CURRENT)  # another run published meanwhile: its state is read, not the one begun
        assert later.folder == republished / STATE_FOLDER and later.inputs == ahead.inputs
    with state_read_ahead(None):
        assert load_state(out / CURRENT) is not ahead


def test_a_read_task_hashes_the_inputs_it_read(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in SEED_NAMES[:2]:
        shutil.copy(SEEDS_DIR / name, raw / name)
    read = read_into_shard(raw, [*SEED_NAMES[:2], "gone.txt"], load_config(REPO / "copydesk.toml"), tmp_path / "s")
    expected = {name: hashlib.sha256((raw / name).read_bytes()).hexdigest() for name in SEED_NAMES[:2]}
    hashes = dict(zip(*(read.inputs.table[name].to_pylist() for name in ("source_path", "sha256")), strict=True))
    assert hashes == expected | {"gone.txt": None}
