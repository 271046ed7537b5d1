"""Signed rows a finishing task leaves beside its finished shard (flows/stages/shard_steps.py `finish_shard`): the band
store's `texts`, `bands` and `sentences` rows (flows/state/band_store.py SCHEMAS) of each distinct paragraph text of
the shard and of their sentences, so the match stage takes them instead of signing in the flow process.

A folder holds `texts.arrow`, `bands.arrow` and `sentences.arrow` (Arrow IPC files, flows/stages/handoffs.py
`write_handoff`); `bands` holds the `stored_bands` rows (paragraph index, then sentence index) of each text of `min_words` words or more, in
the order of those texts in `texts` (the match stage finds a text's bands by that order, never by a join).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
from pyarrow import feather

from dedup.lookup import sorted_rows
from dedup.settings import DedupSettings
from dedup.sorted_sets import contained
from flows.stages.handoffs import handoff_folder, write_handoff
from flows.stages.new_rows import NewRowSink
from flows.state.band_store import SCHEMAS

SIGNED_TABLES = ("texts", "bands", "sentences")


def signed_folder(finished: Path) -> Path:
    """The folder of the signed rows beside a finished shard."""
    return handoff_folder(finished, "signed")


def write_signed(rows: dict[str, pa.Table], folder: Path) -> None:
    """Write a shard's signed rows (SIGNED_TABLES, bands in the order of their texts) into `folder`."""
    write_handoff({name: rows[name] for name in SIGNED_TABLES}, folder)


def bands_table(keys: np.ndarray, band_keys: np.ndarray) -> pa.Table:
    """Rows of `bands` for texts of `min_words` words or more: their keys and their band keys (n x bands)."""
    bands = band_keys.shape[1]
    return pa.table(
        {
            "key": np.repeat(keys, bands),
            "band": np.tile(np.arange(bands, dtype=np.int16), len(keys)),
            "band_key": band_keys.ravel(),
        },
        schema=SCHEMAS["bands"],
    )


@dataclass(frozen=True)
class SignedPool:
    """The signed rows of a run's finishing tasks, each text once: its `texts` row (sorted by key), the folder it
    was taken from and the row of its first band in that folder's `bands` (-1: under `min_words` words, no
    bands), and the `sentences` rows of each long paragraph text, of one folder. The bands stay in the folders'
    files, read one folder at a time when taken."""

    texts: pa.Table
    folder_of: np.ndarray
    first_band: np.ndarray
    sentences: pa.Table
    folders: tuple[Path, ...] = ()
    bands_per_text: int = 1

    def take(self, keys: np.ndarray, into: NewRowSink) -> pa.Table:
        """Add the `texts` and `bands` rows of those of the distinct `keys` the pool holds to `into`; their
        `texts` rows."""
        held = self.texts["key"].to_numpy()
        rows, found = sorted_rows(held, keys)
        rows = rows[found]
        taken = self.texts.take(rows)
        into.add("texts", taken)
        rows = rows[self.first_band[rows] >= 0]
        for number, starts in _by_folder(self.folder_of[rows], self.first_band[rows]):
            band_rows = (starts[:, np.newaxis] + np.arange(self.bands_per_text)).ravel()
            into.add("bands", feather.read_table(self.folders[number] / "bands.arrow", memory_map=True).take(band_rows))
        return taken

    def bands(self) -> pa.Table:
        """Every band row of the folders' texts (a text several folders hold, in each), read from their files."""
        tables = [feather.read_table(folder / "bands.arrow", memory_map=True) for folder in self.folders]
        return pa.concat_tables([SCHEMAS["bands"].empty_table(), *tables])

    def sentences_of(self, keys: np.ndarray) -> pa.Table:
        """The `sentences` rows of those of the paragraph `keys` the pool split."""
        return self.sentences.filter(pa.array(contained(self.sentences["key"].to_numpy(), keys)))


def _by_folder(folder_of: np.ndarray, first_band: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """Each folder number (ascending) with the first bands of its rows, in the order of the rows: one sort, not a
    scan of every row for each folder."""
    order = np.argsort(folder_of, kind="stable")
    numbers, starts = np.unique(folder_of[order], return_index=True)
    return list(zip(numbers.tolist(), np.split(first_band[order], starts)[1:], strict=True))


NOTHING_SIGNED = SignedPool(
    SCHEMAS["texts"].empty_table(),
    np.empty(0, dtype=np.int32),
    np.empty(0, dtype=np.int32),
    SCHEMAS["sentences"].empty_table(),
)


def read_signed(folders: Sequence[Path], settings: DedupSettings) -> SignedPool:
    """The signed rows of these folders as one pool: a text or a paragraph's sentences several folders hold are
    taken from the first."""
    if not folders:
        return NOTHING_SIGNED
    texts, sentences = (
        [feather.read_table(folder / f"{name}.arrow", memory_map=True) for folder in folders]
        for name in ("texts", "sentences")
    )
    folder_of_text = np.repeat(np.arange(len(folders), dtype=np.int32), [table.num_rows for table in texts])
    first_band = np.concatenate([_first_bands(table, settings) for table in texts])
    texts = pa.concat_tables(texts)
    _, first = np.unique(texts["key"].to_numpy(), return_index=True)
    folder_of_row = np.repeat(np.arange(len(folders)), [table.num_rows for table in sentences])
    sentences = pa.concat_tables(sentences)
    _, first_row, key_of_row = np.unique(sentences["key"].to_numpy(), return_index=True, return_inverse=True)
    from_first = folder_of_row[first_row][key_of_row] == folder_of_row
    return SignedPool(
        texts.take(first),
        folder_of_text[first],
        first_band[first],
        sentences.filter(pa.array(from_first)),
        tuple(folders),
        settings.stored_bands,
    )


def _first_bands(texts: pa.Table, settings: DedupSettings) -> np.ndarray:
    """The row of each text's first band in its folder's `bands` (-1: under `min_words` words)."""
    long = texts["words"].to_numpy() >= settings.min_words
    return np.where(long, (np.cumsum(long, dtype=np.int32) - 1) * np.int32(settings.stored_bands), np.int32(-1))
