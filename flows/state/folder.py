"""Incremental state, kept in each published run folder: what every input was when it was read
(size, modification time and content hash), every article as prepared from it (every capture, for a
WARC file) in shards (state/prepared/NNNNN.parquet, flows/stages/shards.py), its rejections and skipped records,
which paragraphs were canonical, the dedup band-key store (flows/state/band_store.py), the spelling evidence
(flows/state/vocabulary_store.py), the boilerplate line counts (flows/state/line_counts.py), each article as cleaning
finished it (flows/state/finished.py) and the clustered components (flows/state/cluster_store.py), so a later run reads only new or changed inputs, carries the shards of unchanged
ones over by hard link, signs and verifies only new paragraphs, counts only the paragraphs that changed, finishes
cleaning only new and touched articles, clusters only components of the pair graph that changed, and keeps canonical choices the policy does not overturn.

The state carries a version; a state of another version, or one made under another config, is not
used (the run reads everything again and says why).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from flows.outputs.files import write_table
from flows.stages.shards import link_or_copy, link_shard, shard_name
from flows.state.band_store import NO_BANDS, StoredBands, load_band_store
from flows.state.cluster_store import NO_CLUSTERS, ClusterUpdate, StoredClusters, load_clusters, write_clusters
from flows.state.finished import FinishedCleaning, load_finished
from flows.state.inputs import InputLedger, read_ledger
from flows.state.line_counts import LineCounts, load_line_counts
from flows.state.spelled_store import StoredSpelling, load_spelling, write_spelling
from flows.state.vocabulary_store import EMPTY_VOCABULARY, StoredVocabulary, load_vocabulary

# The layout this code writes. 7 (session 27): line counts may carry parts of changes (`line_count_changes/`) that
# an older copydesk, reading only `line_counts.parquet`, would miss: it takes a state of 7 as none and reads again.
# 8 (session 39): the finished table's parts carry each paragraph's keys (flows/state/finished.py PARAGRAPH_KEYS),
# columns an older copydesk cannot read into its schema.
STATE_VERSION = 8
# The layouts this code reads: 6 is 7 without parts of changes, 7 is 8 without the paragraphs' keys (worked out as
# its finished parts are read, and those parts written anew).
READABLE_STATE_VERSIONS = frozenset({6, 7, STATE_VERSION})
STATE_FOLDER = "state"
CANONICAL = pa.schema([("key", pa.string())])
PREPARED_FOLDER = "prepared"


class State:
    """The previous run's state: its inputs' ledger (stamps, content hashes, what reading gave), the prepared shards,
    canonical keys, band store, vocabulary, line counts, finished articles, clusters and spelling (all empty without
    a state folder). The parts are read on a thread of their own, one after another in the order the stages need
    them: those of the first stages from when the state is made, each later one once the stage before the one
    needing it asks for its own part (`_READ_AFTER`), so the flow does not hold every part from the start; a stage
    waits only for a part not read yet."""

    def __init__(self, published: Path | None = None) -> None:
        # the run folder the link leads to now: a run published while this one reads leaves its parts one run's
        self.folder = published.resolve() / STATE_FOLDER if published is not None else None
        self._parts: dict[str, Future | None] = {}  # queued, or None once let go
        self._read: dict[str, object] = {}
        self._reading: ThreadPoolExecutor | None = None
        if self.folder is not None:
            self._reading = ThreadPoolExecutor(max_workers=1, thread_name_prefix="state")
            self._begin([name for name in _PARTS if name not in _READ_AFTER])

    def _begin(self, names: list[str]) -> None:
        """Queue these parts for reading, those not queued yet, in the order of `_PARTS`."""
        if self._reading is None:
            return
        for name in sorted(set(names) - self._parts.keys(), key=list(_PARTS).index):
            self._parts[name] = self._reading.submit(_PARTS[name], self.folder)
        if len(self._parts) == len(_PARTS):
            self._reading.shutdown(wait=False)  # its thread ends once every part is read
            self._reading = None

    def _part(self, name: str, empty: Callable[[], object]):
        """A part of the state, waiting for it if it is still being read (queued now when it was not, with those it
        lets be read); `empty()` without a state."""
        if name not in self._read:  # kept once read: asked for once an input, a future's lock costs
            self._begin([name, *(later for later, after in _READ_AFTER.items() if after == name)])
            reading = self._parts.get(name)
            self._read[name] = reading.result() if reading is not None else empty()
        return self._read[name]

    def let_go(self, *names: str) -> None:
        """Drop parts the run no longer needs: asked for again, each is the empty part."""
        for name in names:
            self._parts[name] = None  # never queued again
            self._read.pop(name, None)

    @property
    def inputs(self) -> InputLedger:
        return self._part("inputs", InputLedger)

    @property
    def shards(self) -> list[Path]:
        return self._part("shards", list)

    @property
    def line_counts(self) -> LineCounts:
        return self._part("line_counts", LineCounts)

    @property
    def finished(self) -> FinishedCleaning:
        return self._part("finished", FinishedCleaning)

    @property
    def bands(self) -> StoredBands:
        return self._part("bands", lambda: NO_BANDS)

    @property
    def vocabulary(self) -> StoredVocabulary:
        return self._part("vocabulary", lambda: EMPTY_VOCABULARY)

    @property
    def spelled(self) -> StoredSpelling:
        return self._part("spelled", StoredSpelling)

    @property
    def canonical(self) -> pa.Array:
        return self._part("canonical", lambda: pa.array([], pa.string()))

    @property
    def clusters(self) -> StoredClusters:
        return self._part("clusters", lambda: NO_CLUSTERS)


def state_problem(manifest: dict | None, config_sha256: str) -> str | None:
    """Why the previous run's state cannot be reused, or None when it can."""
    if manifest is None:
        return "no previous run"
    if manifest.get("state_version") not in READABLE_STATE_VERSIONS:
        return f"state version {manifest.get('state_version')} is not one of {sorted(READABLE_STATE_VERSIONS)}"
    if manifest.get("config_sha256") != config_sha256:
        return "the config changed"
    return None


def _shards(folder: Path) -> list[Path]:
    """The prepared shards, in order."""
    return sorted((folder / PREPARED_FOLDER).glob("*.parquet"))


def _canonical(folder: Path) -> pa.Array:
    return pq.read_table(folder / "canonical.parquet", columns=["key"])["key"].combine_chunks()


# The state's parts in the order the stages need them (read, boilerplate, clean, match, spelling, correct, cluster).
_PARTS: dict[str, Callable[[Path], object]] = {
    "inputs": read_ledger,
    "shards": _shards,
    "line_counts": load_line_counts,
    "finished": load_finished,
    "bands": load_band_store,
    "vocabulary": load_vocabulary,
    "spelled": load_spelling,
    "canonical": _canonical,
    "clusters": load_clusters,
}
# The parts read only once another is asked for, by the part that lets them be read: the spelling evidence once the
# match stage asks for the band store, the spelling applied once the spelling stage asks for the evidence, the
# cluster stage's parts once the correct stage asks for the spelling applied; the others from the start. At 20,000
# stored articles the evidence was the largest part (143-184 MB of the flow's memory, the finished articles 113-118).
_READ_AFTER: dict[str, str] = {
    "vocabulary": "bands",
    "spelled": "vocabulary",
    "canonical": "spelled",
    "clusters": "spelled",
}
# A state begun by `copydesk run` before its flow started (state_read_ahead), by published run folder.
_read_ahead: dict[Path, State] = {}


def load_state(published: Path) -> State:
    """The state of the published run folder (OUT_DIR/.current), read on a thread of its own: the one `copydesk
    run` began reading ahead when it is of this same run folder."""
    return _read_ahead.pop(published.resolve(), None) or State(published)


@contextmanager
def state_read_ahead(published: Path | None) -> Iterator[None]:
    """While inside, the state of `published` (None: none) is being read, and load_state of the same run folder
    (the run folder it leads to, whatever ran between) takes it instead of reading it again."""
    key = published.resolve() if published is not None else None
    if key is not None:
        _read_ahead[key] = State(published)
    try:
        yield
    finally:
        _read_ahead.pop(key, None)


@dataclass
class StateRows:
    """This run's state to write: its inputs' ledger, canonical keys, the
    prepared-article shards, the state files the stages wrote as they ended (`written`: the boilerplate line
    counts, the band-key store, none with Redis, the spelling evidence and each article as the clean stage left
    it, the finished table's parts; linked in, so the flow need not hold them until the write stage), the
    clustered components and the spelling applied (the decisions file and the articles they changed, files)."""

    inputs: InputLedger
    canonical: pa.Array
    shards: list[Path] = field(default_factory=list)
    written: Path | None = None
    clusters: ClusterUpdate | None = None
    spelled: tuple[Path, Path] | None = None


def link_written(written: Path, folder: Path) -> None:
    """Link the state files the stages already wrote (`written`, their subfolders kept) into the state folder."""
    for source in sorted(written.rglob("*")):
        target = folder / source.relative_to(written)
        if source.is_dir():
            target.mkdir()
        else:
            link_or_copy(source, target)


def write_state(staged: Path, state: StateRows) -> None:
    """Write the state of this run into its run folder, its shards linked in."""
    folder = staged / STATE_FOLDER
    (folder / PREPARED_FOLDER).mkdir(parents=True)
    for number, shard in enumerate(state.shards):
        link_shard(shard, folder / PREPARED_FOLDER / shard_name(number))
    if state.written is not None:
        link_written(state.written, folder)
    write_table(pa.table({"key": state.canonical}, schema=CANONICAL), folder / "canonical.parquet")
    state.inputs.write(folder)
    write_clusters(folder, state.clusters)
    if state.spelled is not None:
        write_spelling(folder, *state.spelled)
