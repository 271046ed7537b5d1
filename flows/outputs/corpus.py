"""The corpus other tools load as it is: one record per article with canonical text, `id` and `text` first and a
metadata object of fixed fields, written as gzipped JSONL shards (corpus/NNNNN.jsonl.gz, as datatrove and dolma
write them; a deflate chunk a line) and the same shards as Parquet
(corpus.parquet/NNNNN.parquet); also the deprecated corpus.jsonl. The records the previous run wrote the same
are carried as its bytes (flows/outputs/corpus_carry.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import count, repeat
from pathlib import Path
from typing import TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dedup.backlog import Backlog
from dedup.components import mix64
from dedup.cores import usable_cores
from dedup.signatures import count_words
from dedup.text_hash import sip_hashes
from flows.config import CorpusSettings
from flows.outputs.corpus_carry import NOTHING_CARRIED, CarriedChunks, ChunkIndex, gzip_lines, legacy_pieces
from flows.outputs.files import Span, sha256_written, write_pieces, write_table
from flows.outputs.json_lines import NULL, json_objects, json_values, line_bytes
from flows.outputs.rounding import rounded
from flows.outputs.schema import CORPUS, CORPUS_METADATA
from flows.stages.cleaned import Cleaned, one_array

JSONL_FOLDER = "corpus"
PARQUET_FOLDER = "corpus.parquet"
# A gzipped JSONL shard's path in the run folder, by its number.
JSONL_SHARD = JSONL_FOLDER + "/{:05d}.jsonl.gz"
# corpus.jsonl in its schema 2 shape, deprecated (removed with schema 5).
LEGACY_JSONL = "corpus.jsonl"

T = TypeVar("T")


def canonical_texts(
    cleaned: Cleaned,
    paragraph_words: np.ndarray,
    is_canonical: pa.Array,
    corpus_trims: Mapping[int, str],
) -> tuple[pa.ListArray, np.ndarray]:
    """Each article's canonical paragraphs as the corpus keeps them (trimmed of sentences kept elsewhere; a
    paragraph trimmed to nothing is left out), a list of texts an article, and the words they hold: the paragraphs'
    counts (`paragraph_words`) summed, a trimmed paragraph's counted from its trim (no word spans the paragraphs'
    joins); `is_canonical` and `corpus_trims` (by position) are of the articles' paragraphs."""
    canonical = is_canonical.to_numpy(zero_copy_only=False).copy()
    trimmed = sorted(position for position in corpus_trims if canonical[position])
    trims = [corpus_trims[position] for position in trimmed]
    replaced = np.arange(cleaned.paragraph_count)
    replaced[trimmed] = cleaned.paragraph_count + np.arange(len(trimmed))
    canonical[[position for position, text in zip(trimmed, trims) if not text]] = False
    kept = np.flatnonzero(canonical)
    texts = pa.concat_arrays([one_array(cleaned.paragraphs["text"]), pa.array(trims, pa.string())])
    owners = cleaned.paragraph_articles()[kept]
    counts = np.bincount(owners, minlength=cleaned.article_count)
    offsets = pa.array(np.concatenate([[0], np.cumsum(counts)]), pa.int32())
    words = np.concatenate([paragraph_words, count_words(trims)])[replaced[kept]]
    kept_words = np.bincount(owners, weights=words, minlength=cleaned.article_count).astype(np.int64)
    return pa.ListArray.from_arrays(offsets, texts.take(pa.array(replaced[kept], pa.int64()))), kept_words


def corpus_table(
    cleaned: Cleaned,
    paragraph_words: np.ndarray,
    article_words: np.ndarray,
    is_canonical: pa.Array,
    corpus_trims: Mapping[int, str],
) -> pa.Table:
    """One corpus record per article with canonical text; `kept_share` is the share of its article's words the
    record keeps (`paragraph_words` and `article_words`: each paragraph's and article's words)."""
    kept, kept_words = canonical_texts(cleaned, paragraph_words, is_canonical, corpus_trims)
    chosen = np.flatnonzero(pc.list_value_length(kept).to_numpy())
    texts = pc.binary_join(kept.take(pa.array(chosen, pa.int64())), "\n\n")
    words, of_article = kept_words[chosen], article_words[chosen]
    articles = cleaned.articles.take(pa.array(chosen, pa.int64()))
    fields = {
        **{name: pc.fill_null(articles[name], "") for name in ("title", "source", "url", "published")},
        **{name: articles[name] for name in ("source_path", "input_id", "input_fields", "language")},
        "words": words,
        "article_words": of_article,
        "kept_share": kept_shares(words, of_article),
    }
    metadata = pa.StructArray.from_arrays(
        [_array(fields[field.name], field.type) for field in CORPUS_METADATA], fields=list(CORPUS_METADATA)
    )
    return pa.table(
        {"id": articles["doc_id"], "text": texts, "source": articles["site"], "metadata": metadata}, schema=CORPUS
    ).combine_chunks()


def kept_shares(words: np.ndarray, article_words: np.ndarray) -> np.ndarray:
    """The share of its article's words each record keeps, at most 1, to four places (0 for an article of none)."""
    whole = np.maximum(article_words, 1)
    return np.where(article_words > 0, rounded(np.minimum(1.0, words / whole), 4), 0.0)


def _array(values: Sequence | np.ndarray | pa.ChunkedArray, kind: pa.DataType) -> pa.Array:
    """A Python sequence, a NumPy array or an Arrow column as one array of the type."""
    if isinstance(values, pa.ChunkedArray):
        return values.combine_chunks().cast(kind)
    return pa.array(values, kind)


def kept_records(corpus: pa.Table, settings: CorpusSettings) -> pa.Table:
    """The records long enough, in words and in share of their article, to stay in the corpus."""
    metadata = corpus["metadata"]
    long_enough = pc.and_(
        pc.greater_equal(pc.struct_field(metadata, "words"), settings.min_words),
        pc.greater_equal(pc.struct_field(metadata, "kept_share"), settings.min_kept_share),
    )
    return corpus.filter(long_enough).combine_chunks()


# corpus.jsonl's fields of a record's metadata, each null where the record's is empty (its schema 2 shape).
LEGACY_FIELDS = ("title", "source", "url", "published", "language")


def corpus_lines(records: pa.Table) -> tuple[pa.Array, pa.Array]:
    """Each record's JSON line in its shard (json.dumps of the record as `to_pylist` gives it) and in corpus.jsonl,
    schema 2's shape (doc_id, title, source, url, published, language, text; an empty field null), made by column:
    each field's JSON text made once (`json_values`) and joined into both lines by Arrow."""
    metadata = dict(zip(CORPUS_METADATA.names, records["metadata"].combine_chunks().flatten(), strict=True))
    described = {name: json_values(column) for name, column in metadata.items()}
    values = {name: json_values(records[name]) for name in ("id", "text", "source")}
    line = json_objects([*values.items(), ("metadata", json_objects(list(described.items())))], "\n")
    empty = pa.scalar(NULL, pa.large_string())
    legacy = {
        name: pc.if_else(pc.fill_null(pc.equal(metadata[name], ""), True), empty, described[name])
        for name in LEGACY_FIELDS
    }
    return line, json_objects([("doc_id", values["id"]), *legacy.items(), ("text", values["text"])], "\n")


def record_digests(records: pa.Table) -> list[bytes]:
    """A 128-bit digest of each corpus record's fields, all its JSON lines are made of: each column's values and
    nulls hashed (a string's SipHash as pandas' `hash_array` gives it, from the column's buffers; a number's bits),
    the columns mixed in order, two lanes of two hash keys; no record or string is made a Python object."""
    columns = [records[name].combine_chunks() for name in ("id", "text", "source")]
    columns += records["metadata"].combine_chunks().flatten()
    lanes = np.zeros((records.num_rows, len(_DIGEST_KEYS)), dtype=np.uint64)
    for column in columns:
        nulls = pc.is_null(column).to_numpy(zero_copy_only=False).astype(np.uint64)
        if pa.types.is_string(column.type):
            values = pc.fill_null(column, "")
            hashed = [mix64(sip_hashes(values, key.encode())) for key in _DIGEST_KEYS]
        else:
            bits = pc.fill_null(column, 0).to_numpy().view(np.uint64)
            hashed = [bits ^ np.uint64(lane) for lane in range(len(_DIGEST_KEYS))]
        for lane, values in enumerate(hashed):
            lanes[:, lane] = mix64(mix64(lanes[:, lane] ^ values) ^ nulls)
    return [row.tobytes() for row in lanes]


# The SipHash keys (16 characters, as pandas' hash_array takes them) of the digests' two lanes.
_DIGEST_KEYS = ("copydesk-record0", "copydesk-record1")


def _write_shard(
    shard: pa.Table, staged: Path, number: int, carried: CarriedChunks
) -> tuple[dict[str, str], ChunkIndex, list[bytes | Span]]:
    """Write one corpus shard as gzipped JSONL and as Parquet; return the two files' SHA-256 (taken as they are
    written) by their paths relative to the run folder, where the gzipped lines' chunks lie, and the shard's
    corpus.jsonl bytes (in pieces, `legacy_pieces`). A record the previous run wrote (by its digest) is carried as its
    bytes; only the others' JSON lines are made (by column, `corpus_lines`)."""
    jsonl, parquet = JSONL_SHARD.format(number), f"{PARQUET_FOLDER}/{number:05d}.parquet"
    digests = record_digests(shard)
    rows = [row for row, digest in enumerate(digests) if not carried.holds(digest)]
    lines, legacy_lines = corpus_lines(shard.take(pa.array(rows, pa.int64())))
    gzipped, chunks = gzip_lines(digests, dict(zip(rows, line_bytes(lines))), number, carried)
    hashes = {jsonl: sha256_written(write_pieces, gzipped, staged / jsonl)}
    hashes[parquet] = sha256_written(write_table, shard, staged / parquet)
    legacy, chunks.legacy_lengths = legacy_pieces(digests, dict(zip(rows, line_bytes(legacy_lines))), carried)
    return hashes, chunks, legacy


def write_corpus(
    records: Iterable[pa.Table], staged: Path, documents_per_shard: int, carried: CarriedChunks = NOTHING_CARRIED
) -> tuple[dict[str, str], ChunkIndex]:
    """Write the corpus shards of `records` (the kept records in order, in tables of any size; at least one shard,
    empty when no record is kept) and corpus.jsonl into the run folder, the shards on every core (deflate and Parquet
    encoding release the GIL; each shard's bytes are as one thread writes them) and corpus.jsonl a shard's bytes at a
    time, in order; return the files written, relative to it, in order, with each one's SHA-256 (taken as it is
    written), and where each record's bytes lie. Only the shards being written are held, never the whole corpus."""
    for folder in (JSONL_FOLDER, PARQUET_FOLDER):
        (staged / folder).mkdir()
    index, files = ChunkIndex(), dict[str, str]()

    def legacy_bytes(
        written: Iterable[tuple[dict[str, str], ChunkIndex, list[bytes | Span]]],
    ) -> Iterator[bytes | Span]:
        for shard_files, chunks, pieces in written:
            files.update(shard_files)
            index.extend(chunks)
            yield from pieces

    workers = usable_cores()
    shards = corpus_shards(records, documents_per_shard)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        written = _in_order(Backlog(pool, workers), _write_shard, zip(shards, repeat(staged), count(), repeat(carried)))
        legacy = sha256_written(write_pieces, legacy_bytes(written), staged / LEGACY_JSONL)
    return files | {LEGACY_JSONL: legacy}, index


def corpus_shards(records: Iterable[pa.Table], documents_per_shard: int) -> Iterator[pa.Table]:
    """The rows of `records`, in order, as shards of `documents_per_shard` rows (the last may hold fewer; one empty
    shard when there are no rows), each made of slices of the tables it spans (no rows copied)."""
    pieces: list[pa.Table] = []
    held = 0
    shards = 0
    for table in records:
        start = 0
        while start < table.num_rows:
            piece = table.slice(start, documents_per_shard - held)
            pieces.append(piece)
            held += piece.num_rows
            start += piece.num_rows
            if held == documents_per_shard:
                yield pa.concat_tables(pieces)
                pieces, held, shards = [], 0, shards + 1
    if held or not shards:
        yield pa.concat_tables([CORPUS.empty_table(), *pieces])


def _in_order(backlog: Backlog[T], function: Callable[..., T], calls: Iterable[tuple]) -> Iterator[T]:
    """`function` of each call's arguments through the backlog, its results in order (at most the backlog's limit of
    calls more than the caller has taken: the shards' corpus.jsonl lines never wait whole)."""
    for arguments in calls:
        yield from backlog.submit(function, *arguments)
    yield from backlog.finish()


def shard_names(written: Sequence[str]) -> list[str]:
    """The top-level names to publish for the files write_corpus wrote (a shard folder once)."""
    return list(dict.fromkeys(name.split("/", 1)[0] for name in written))
