"""Signed rows a finishing task leaves beside its finished shard (flows/stages/shard_steps.py `finish_shard`): the band
store's `texts`, `bands` and `sentences` rows (flows/state/band_store.py SCHEMAS) of each distinct paragraph text of
the shard and of their sentences, so the match stage takes them instead of signing in the flow process.

A folder holds `texts.arrow`, `bands.arrow` and `sentences.arrow` (Arrow IPC files, uncompressed: the flow maps
them instead of decoding them); `bands` holds the `lsh_bands` rows of each text of `min_words` words or more, in
the order of those texts in `texts` (the match stage finds a text's bands by that order, never by a join).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
from pyarrow import feather

from dedup.settings import DedupSettings
from flows.stages.handoffs import handoff_folder, write_handoff
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
    """The signed rows of a run's finishing tasks, each text once: its `texts` row (sorted by key) and the row of
    its first band key in `band_keys` (-1: under `min_words` words, no bands), and the `sentences` rows of each
    long paragraph text, of one shard."""

    texts: pa.Table
    first_band: np.ndarray
    band_keys: np.ndarray
    sentences: pa.Table
    bands_per_text: int = 1

    def texts_of(self, keys: np.ndarray) -> dict[str, pa.Table]:
        """The `texts` and `bands` rows of those of the distinct `keys` the pool holds."""
        held = self.texts["key"].to_numpy()
        rows = np.searchsorted(held, keys)
        found = rows < len(held)
        found[found] = held[rows[found]] == keys[found]
        rows = rows[found]
        long = self.first_band[rows] >= 0
        starts = self.first_band[rows][long]
        band_rows = starts[:, np.newaxis] + np.arange(self.bands_per_text)
        return {"texts": self.texts.take(rows), "bands": bands_table(held[rows][long], self.band_keys[band_rows])}

    def sentences_of(self, keys: np.ndarray) -> pa.Table:
        """The `sentences` rows of those of the paragraph `keys` the pool split."""
        return self.sentences.filter(pa.array(np.isin(self.sentences["key"].to_numpy(), keys)))


NOTHING_SIGNED = SignedPool(
    SCHEMAS["texts"].empty_table(),
    np.empty(0, dtype=np.int64),
    np.empty(0, dtype=np.uint64),
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
    band_keys = [feather.read_table(folder / "bands.arrow", ["band_key"], memory_map=True) for folder in folders]
    texts = pa.concat_tables(texts)
    long = texts["words"].to_numpy() >= settings.min_words
    first_band = np.where(long, (np.cumsum(long) - 1) * settings.lsh_bands, -1)
    _, first = np.unique(texts["key"].to_numpy(), return_index=True)
    folder_of_row = np.repeat(np.arange(len(folders)), [table.num_rows for table in sentences])
    sentences = pa.concat_tables(sentences)
    _, first_row, key_of_row = np.unique(sentences["key"].to_numpy(), return_index=True, return_inverse=True)
    from_first = folder_of_row[first_row][key_of_row] == folder_of_row
    return SignedPool(
        texts.take(first),
        first_band[first],
        pa.concat_tables(band_keys)["band_key"].to_numpy(),
        sentences.filter(pa.array(from_first)),
        settings.lsh_bands,
    )
