"""The work of each stage as plain functions (tested without Prefect); flows/pipeline.py wraps them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from itertools import chain
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cleaners.article import finish_article, prepare_article
from cleaners.boilerplate import LearnedLine, source_key
from cleaners.junk import EVERY_LINE, ScreenedLines, screened_lines
from cleaners.keep import NOTHING_KEPT, KeptLines
from cleaners.language import detect_language
from cleaners.limits import size_problem, split_long_paragraphs, words_short_of
from cleaners.spelling import (
    SpellingDecision,
    Vocabulary,
    decide_corrections,
    decided_word,
    reviewed_decisions,
    text_words,
)
from dedup.carry import NOTHING_CARRIED, CarriedClusters
from dedup.constraints import NO_CONSTRAINTS, ClusterConstraints, cluster_constraints
from dedup.deduplicate import DedupResult, Matches, cluster_matches, find_matches, remeasure
from dedup.pair_table import pair_positions
from dedup.records import ArticleFacts, ParagraphRecord, ParagraphRecords
from dedup.shingles import paragraph_fingerprint
from dedup.text_hash import text_hashes
from flows.config import Config
from flows.reading.readers import prefetch, read_input
from flows.reading.warc import WarcOutcome, is_warc, read_warc
from flows.review.overrides import NO_OVERRIDES, Overrides, source_label
from flows.runtime.progress import NO_PROGRESS, Ticker
from flows.stages.band_matches import StoredMatches, stored_matches
from flows.stages.cleaned import Cleaned
from flows.stages.dictionary import load_base_dictionary
from flows.stages.records import CleanedDocument, Document, PreparedInput, RawArticle, Rejection, Version
from flows.stages.signed_pool import read_signed
from flows.state.alignment_store import align_pairs
from flows.state.band_store import NO_BANDS, StoredBands
from flows.state.vocabulary_store import (
    EMPTY_VOCABULARY,
    StoredVocabulary,
    split_words,
    text_keys,
    updated_vocabulary,
)

Boilerplate = dict[str, dict[str, LearnedLine]]


@dataclass
class InputRead:
    """What reading one input gave: its prepared articles, its rejections and its skipped WARC records by reason."""

    prepared: list[PreparedInput] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)


def input_outcomes(raw_dir: Path, relative_path: str, config: Config) -> Iterable[WarcOutcome]:
    """One input's articles and rejections (and a WARC file's skipped records), a WARC file's streamed."""
    if is_warc(relative_path):
        return read_warc(raw_dir, relative_path, config.input.max_file_bytes, config.html, config.warc)
    articles, rejections = read_input(raw_dir, relative_path, config.input.max_file_bytes, config.html)
    return [*articles, *rejections]


def read_and_prepare(raw_dir: Path, relative_paths: list[str], config: Config) -> dict[str, InputRead]:
    """Read a batch of input files and prepare each article (unicode, whitespace, labelled metadata), the files read
    ahead all at once (`prefetch`)."""
    prefetch(raw_dir, relative_paths)
    reads: dict[str, InputRead] = {}
    for relative_path in relative_paths:
        read = reads[relative_path] = InputRead()
        for outcome in input_outcomes(raw_dir, relative_path, config):
            if isinstance(outcome, RawArticle) and (problem := article_size_problem(outcome, config)):
                read.rejections.append(problem)
            elif isinstance(outcome, RawArticle):
                article = prepare_article(outcome.text, config.cleaning, outcome.metadata)
                outcome.text = ""  # the prepared lines replace it; no need to hold both
                read.prepared.append(PreparedInput(outcome, article, source_key(outcome.source_path, article.metadata)))
            elif isinstance(outcome, Rejection):
                read.rejections.append(outcome)
            else:
                read.skipped[outcome.reason] += 1
    return reads


def article_size_problem(article: RawArticle, config: Config) -> Rejection | None:
    """A rejection for an article too long to clean in bounded time, or None."""
    limits = config.input
    problem = size_problem(article.text, limits.max_article_chars, limits.max_article_words, "article")
    return Rejection(where_from(article), f"too long: {problem}") if problem else None


def where_from(article: RawArticle) -> str:
    """The article's input path, with its item in a JSONL or WARC file: how rejections name it."""
    return article.source_path + (f" [{article.source_item}]" if article.source_item else "")


def latest_captures(prepared: list[PreparedInput]) -> tuple[list[PreparedInput], list[Version]]:
    """Keep the latest capture of each crawled article (WARC captures sharing a doc_id, that is a canonical
    URL); the earlier ones become versions. Ties in capture time go to the later file and offset."""
    latest: dict[str, PreparedInput] = {}
    for item in prepared:
        current = latest.get(item.raw.doc_id)
        if item.raw.capture and (current is None or capture_order(item) > capture_order(current)):
            latest[item.raw.doc_id] = item
    kept: list[PreparedInput] = []
    versions: list[Version] = []
    for item in prepared:
        article = latest.get(item.raw.doc_id) if item.raw.capture else item
        if article is item:
            kept.append(item)
        else:
            versions.append(earlier_capture(item, article))
    return kept, versions


def capture_order(item: PreparedInput) -> tuple[str, str, int]:
    """Orders the captures of one article: capture time (ISO 8601 in UTC), then file and offset."""
    capture = item.raw.capture
    return capture.captured or "", item.raw.source_path, capture.offset


def earlier_capture(item: PreparedInput, article: PreparedInput) -> Version:
    """An earlier capture as a row of versions.parquet, saying how it joins the article's latest capture."""
    raw, capture = item.raw, item.raw.capture
    return Version(
        doc_id=raw.doc_id,
        url=capture.url,
        canonical_url=raw.metadata.url,
        captured=capture.captured,
        source_path=raw.source_path,
        source_item=raw.source_item,
        content_hash=raw.content_hash,
        reason="same_url" if capture.url == article.raw.capture.url else "same_canonical_url",
    )


def finish_cleaning(
    prepared: list[PreparedInput], boilerplate: Boilerplate, config: Config, keep: KeptLines = NOTHING_KEPT
) -> tuple[list[Document], list[Rejection]]:
    """Finish cleaning a batch, keeping the lines maintainers kept; an article with (almost) no text left is a
    rejection."""
    documents: list[Document] = []
    rejections: list[Rejection] = []
    for result in finish_documents(prepared, boilerplate, config, keep):
        if isinstance(result, Rejection):
            rejections.append(result)
        else:
            documents.append(result.document)
    return documents, rejections


def finish_documents(
    prepared: list[PreparedInput], boilerplate: Boilerplate, config: Config, keep: KeptLines = NOTHING_KEPT
) -> list[CleanedDocument | Rejection]:
    """Finish cleaning a batch: a cleaned Document or a Rejection for each article, in order. The Documents' languages
    are detected once all are cleaned, one after another, while the model's tables stay in the processor's caches
    (twice as fast as between cleaning steps)."""
    screened = screened_lines(chain.from_iterable(item.prepared.lines for item in prepared), config.cleaning)
    results = [finish_document(item, boilerplate.get(item.source, {}), config, keep, screened) for item in prepared]
    for result in results:
        if not isinstance(result, Rejection):
            result.document.language = detect_language(result.document.paragraphs, config.language)
    return results


def finish_document(
    item: PreparedInput,
    learned: dict[str, LearnedLine],
    config: Config,
    keep: KeptLines = NOTHING_KEPT,
    screened: ScreenedLines = EVERY_LINE,
) -> CleanedDocument | Rejection:
    """Finish one article's cleaning into a Document with its removed and spared lines (its language left for
    finish_documents to detect), or reject it as empty or too short; `screened`: its batch's `screened_lines`."""
    raw = item.raw
    cleaned = finish_article(
        item.prepared,
        config.cleaning,
        article_format=raw.format,
        learned=learned,
        source=item.source,
        keep=keep,
        screened=screened,
    )
    where = where_from(raw)
    limits = config.input
    cleaned.paragraphs, too_long = split_long_paragraphs(
        cleaned.paragraphs, limits.max_paragraph_chars, limits.max_paragraph_words
    )
    cleaned.removals.extend(too_long)
    if not cleaned.paragraphs:
        reasons = sorted({removal.reason for removal in cleaned.removals})
        detail = f" ({len(cleaned.removals)} lines removed: {', '.join(reasons)})" if reasons else ""
        return Rejection(where, f"no article text left after cleaning{detail}")
    minimum = config.input.min_article_words
    words = words_short_of(cleaned.paragraphs, minimum)  # as n_words counts them: a script without spaces has words
    if words is not None:
        return Rejection(where, f"too short after cleaning: {words} words (input.min_article_words is {minimum})")
    published_is_fallback = bool(raw.capture and raw.capture.captured and not cleaned.metadata.published)
    if published_is_fallback:
        cleaned.metadata.published = raw.capture.captured
    document = Document(
        doc_id=raw.doc_id,
        source_path=raw.source_path,
        source_item=raw.source_item,
        format=raw.format,
        content_hash=raw.content_hash,
        encoding=raw.encoding,
        metadata=cleaned.metadata,
        paragraphs=cleaned.paragraphs,
        site=item.source,
        removed_lines=len(cleaned.removals),
        unicode_repaired=cleaned.unicode_repaired,
        published_is_fallback=published_is_fallback,
        input_id=raw.input_id,
        input_fields=raw.input_fields,
    )
    return CleanedDocument(document, cleaned.removals, cleaned.spared)


def metadata_words(articles: pa.Table) -> frozenset[str]:
    """Words of titles, sources and authors (the cleaned articles' columns): names the corpus itself vouches for.
    Each distinct string is split once (copies share their titles, sites their source and authors)."""
    columns = (articles["title"], articles["source"], pc.list_flatten(articles["authors"]))
    words = set()
    for column in columns:
        for text in pc.unique(column).to_pylist():
            if text:
                words.update(text_words(text))
    return frozenset(words)


def spelling_decisions(
    cleaned: Cleaned,
    matches: Matches,
    config: Config,
    overrides: Overrides = NO_OVERRIDES,
    stored: StoredVocabulary = EMPTY_VOCABULARY,
    progress: Ticker = NO_PROGRESS,
    counted: Sequence[Path] = (),
    spill: Path | None = None,
    digests: np.ndarray | None = None,
) -> tuple[dict[str, SpellingDecision], frozenset[str], StoredVocabulary]:
    """Judge every distinct token of the articles in a language with a word list once, with the syndicated copies
    the matches reveal between such articles, then apply maintainers' rejected and accepted corrections; also the
    ids of those that found their word, and the vocabulary to store (counted from `stored`, the previous run's, and
    the paragraphs that changed, with the copies' alignments: only pairs not aligned before are; what the finishing
    tasks counted is read from their `counted` folders, DuckDB spilling into `spill`; the copies are aligned on a
    second thread meanwhile). Other articles' words are no evidence (a French "des" backs no change).
    `digests`: the paragraphs' `text_digests` when the caller has them (the finished table carries them), else each
    is found among the stored and the tasks' texts by its `text_keys`, or hashed. `progress` sees the texts digested
    and their changes found, the paragraphs counted, then the words judged and the copies aligned."""
    rules = config.spelling
    texts = cleaned.texts()  # made Python strings a chunk at a time: counted by digest, copies read in pairs
    progress.phase("finding changed texts", len(texts), "paragraphs")
    in_language = pc.is_in(cleaned.articles["language"], pa.array(rules.languages, pa.string()))
    spelled = in_language.to_numpy(zero_copy_only=False)[cleaned.paragraph_articles()]
    pairs = pair_positions(matches.overlaps)
    pairs = pairs[spelled[pairs[:, 0]] & spelled[pairs[:, 1]]]
    keys = None  # the store then keys only the texts it writes anew
    if digests is None:
        keys = text_keys(texts.column)  # what the store finds the texts by, and keeps for those it writes
        digests = stored.digests_of(texts, counted, keys)
    progress.advance(len(texts))
    aligning = pairs if rules.enabled else pairs[:0]
    with ThreadPoolExecutor(max_workers=1) as pool:  # the copies aligned while DuckDB sums the evidence
        aligned_later = pool.submit(
            align_pairs, stored.alignments, texts, digests, aligning, split=split_words(counted)
        )
        stored = updated_vocabulary(stored, texts, np.flatnonzero(spelled), progress, counted, spill, digests, keys)
        vocabulary = Vocabulary.from_table(stored.counts)
        base = load_base_dictionary(rules.foreign_word_languages, rules.foreign_word_min_zipf)
        judged = len(vocabulary.forms) + len(vocabulary.spans) + len(pairs) if rules.enabled else 0
        progress.phase("judging words, aligning copies", judged, "words, pairs")
        protected = metadata_words(cleaned.articles)
        aligned = aligned_later.result()
    progress.advance(len(pairs))
    decisions = decide_corrections(
        vocabulary, base, rules, protected, advance=progress.advance, facings=aligned.facings()
    )
    rejected = {decision.target[0]: decision.id for decision in overrides.of_kind("reject_correction")}
    accepted = {decision.target[0]: decision for decision in overrides.of_kind("accept_correction")}
    applied = {rejected[word] for word in rejected.keys() & {decided_word(key) for key in decisions}} | {
        decision.id for word, decision in accepted.items() if vocabulary.forms[word] or vocabulary.spans[word]
    }
    replacements = {word: decision.target[1] for word, decision in accepted.items()}
    stored = replace(stored, alignments=aligned.table)
    return reviewed_decisions(decisions, rejected, replacements), frozenset(applied), stored


# The first 64 bits of a text's hash as 16 lowercase hex digits: each digit's shift, and the digits' bytes.
_NIBBLE_SHIFTS = np.arange(60, -4, -4, dtype=np.uint64)
_HEX_DIGITS = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
NO_KEYS = pa.array([], pa.string())


def paragraph_key(doc_id: str, text: str) -> str:
    """Identifies a paragraph across runs: its article and its text (64 bits of its `text_hashes`)."""
    return key_column(pa.array([doc_id], pa.string()), text_hashes([text])[:, 0])[0].as_py()


def key_column(doc_ids: pa.Array, hashes: np.ndarray) -> pa.Array:
    """The `paragraph_key` of each paragraph from its article's doc_id and its text's first `text_hashes` lane, by
    array: "DOC_ID:" and the hash as 16 lowercase hex digits (no string made in Python)."""
    digits = _HEX_DIGITS[(hashes.astype(np.uint64)[:, None] >> _NIBBLE_SHIFTS) & np.uint64(0xF)]
    offsets = np.arange(0, 16 * len(hashes) + 1, 16, dtype=np.int32)
    hexes = pa.Array.from_buffers(
        pa.string(), len(hashes), [None, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(digits))]
    )
    return pc.binary_join_element_wise(doc_ids.cast(pa.string()), hexes, ":")


def paragraph_keys(cleaned: Cleaned, hashes: np.ndarray | None = None) -> pa.Array:
    """Every paragraph's `paragraph_key`, in order, as a column (`hashes`: the texts' `text_hashes`, when the caller
    made them; else the texts hashed together, from their column)."""
    doc_ids = cleaned.articles["doc_id"].combine_chunks().take(pa.array(cleaned.paragraph_articles()))
    return key_column(doc_ids, (text_hashes(cleaned.texts()) if hashes is None else hashes)[:, 0])


def paragraph_records(
    cleaned: Cleaned, incumbents: pa.Array = NO_KEYS, keys: pa.Array | None = None
) -> ParagraphRecords:
    """Every paragraph with the article facts the canonical policy weighs (`incumbents`: keys of the previous run's
    canonical paragraphs, found among `keys`, the `paragraph_keys` when the caller made them, by Arrow; with no
    incumbents, as in a first run or a rebuild, no key is made), as columns."""
    articles = cleaned.articles.select(["doc_id", "source", "published"]).to_pydict()
    corrections = np.bincount(cleaned.corrections["article"].to_numpy(), minlength=cleaned.article_count)
    edits = (cleaned.articles["removed_lines"].to_numpy() + corrections).tolist()
    held = np.zeros(cleaned.paragraph_count, dtype=bool)
    if len(incumbents):
        made = paragraph_keys(cleaned) if keys is None else keys
        held = np.asarray(pc.is_in(made, value_set=incumbents).to_numpy(zero_copy_only=False), dtype=bool)
    return ParagraphRecords(
        ArticleFacts(articles["doc_id"], articles["source"], articles["published"], edits),
        cleaned.paragraph_articles(),
        cleaned.paragraphs["para_idx"].to_numpy(),
        held,
    )


def match_paragraphs(
    cleaned: Cleaned,
    config: Config,
    stored: StoredBands = NO_BANDS,
    progress: Ticker = NO_PROGRESS,
    spill: Path | None = None,
    signed: Sequence[Path] = (),
    parts: Path | None = None,
    keys: np.ndarray | None = None,
) -> StoredMatches:
    """Find the verified near-duplicate and contained paragraph pairs of all cleaned articles, signing and verifying
    only what the previous run's band-key store lacks and the finishing tasks' `signed` folders do not hold
    (DuckDB spilling into `spill`, the store's new rows written as Parquet parts into `parts`, when given; `keys`:
    the paragraphs' `text_sip_keys`, when the caller has them); with Redis, everything, and no store is kept."""
    texts = cleaned.texts()
    if config.dedup.redis_url:
        progress.phase("matching in Redis", len(texts), "paragraphs")
        matches = find_matches(texts, config.dedup)
        progress.advance(len(texts))
        return StoredMatches(matches, None, len(texts), matches.candidate_count)
    return stored_matches(texts, config.dedup, stored, progress, spill, read_signed(signed, config.dedup), parts, keys)


def cluster_paragraphs(
    cleaned: Cleaned,
    matches: Matches,
    config: Config,
    incumbents: pa.Array = NO_KEYS,
    overrides: Overrides = NO_OVERRIDES,
    progress: Ticker = NO_PROGRESS,
    carried: CarriedClusters = NOTHING_CARRIED,
    keys: pa.Array | None = None,
    hashes: np.ndarray | None = None,
) -> tuple[ParagraphRecords, DedupResult, frozenset[str]]:
    """Measure the matches again on the corrected paragraphs, cluster them within maintainers' split, merge and
    prefer decisions and choose the canonical copies; also the ids of the decisions that found their paragraphs.
    Components of the overlapping pairs, trims and pairs measured again that `carried` (the previous run's) holds keep
    their clusters, corpus texts and measures; `keys` and `hashes`: the `paragraph_keys` and the texts'
    `text_hashes`, when the caller made them.
    `progress` sees each pass: the articles' paragraphs recorded, the pairs measured again, the clustering."""
    progress.phase("recording paragraphs", cleaned.article_count, "articles")
    records = paragraph_records(cleaned, incumbents, keys)
    progress.advance(cleaned.article_count)
    records, constraints, applied = reviewed_records(cleaned, records, overrides)
    pairs = len(matches.overlaps) + len(matches.partial)
    progress.phase("measuring pairs again", pairs, "pairs")
    texts = cleaned.texts()
    matches = remeasure(matches, texts, config.dedup, corrected_positions(cleaned), carried, hashes)
    progress.advance(pairs)
    progress.phase("clustering", len(records), "paragraphs")
    dedup = cluster_matches(records, texts, matches, config.dedup, config.canonical, constraints, carried)
    progress.advance(len(records))
    return records, dedup, applied


def corrected_positions(cleaned: Cleaned) -> set[int]:
    """Positions (over all articles' paragraphs) of the paragraphs the spelling fixes changed: the only texts that
    differ from those the matches were measured on."""
    corrections = cleaned.corrections
    starts = cleaned.first_paragraphs()[corrections["article"].to_numpy()]
    return set((starts + corrections["para_idx"].to_numpy()).tolist())


def reviewed_records(
    cleaned: Cleaned, records: ParagraphRecords, overrides: Overrides
) -> tuple[ParagraphRecords, ClusterConstraints, frozenset[str]]:
    """The records with the paragraphs maintainers preferred marked, the constraints their splits and merges
    put on clustering, and the ids of the decisions whose paragraphs are in the corpus."""
    split, merge, prefer = (overrides.of_kind(kind) for kind in ("split", "merge", "prefer"))
    if not (split or merge or prefer):
        return records, NO_CONSTRAINTS, frozenset()
    fingerprints = list(map(paragraph_fingerprint, cleaned.texts()))
    labels = cleaned.articles.select(["source", "site"]).to_pydict()
    sources = cleaned.per_paragraph(list(map(source_label, labels["source"], labels["site"])))
    keys = list(zip(fingerprints, sources))
    preferred = {decision.target: decision.id for decision in prefer}
    marked = records.with_preferred(np.fromiter((key in preferred for key in keys), bool, len(keys)))
    constraints = cluster_constraints(fingerprints, [d.target for d in merge], [d.target for d in split])
    present = set(fingerprints)
    applied = {decision.id for decision in split + merge if set(decision.target) <= present}
    applied |= {preferred[key] for key in set(keys) & preferred.keys()}
    return marked, constraints, frozenset(applied)


def canonical_keys(
    records: Sequence[ParagraphRecord], texts: Sequence[str], dedup: DedupResult, keys: pa.Array | None = None
) -> pa.Array:
    """Keys of this run's canonical paragraphs (`texts`: the records' texts, in order; `keys`: their
    `paragraph_keys`, when the caller made them), kept in the state for the next run: distinct and sorted, a column
    (a set of strings held them at 300 bytes an article)."""
    if keys is None:
        keys = key_column(pa.array([record.doc_id for record in records], pa.string()), text_hashes(texts)[:, 0])
    distinct = pc.unique(keys.filter(pa.array(dedup.memberships.canonical())))
    return distinct.take(pc.sort_indices(distinct))


def unseated_incumbents(records: ParagraphRecords, dedup: DedupResult) -> int:
    """How many of the previous run's canonical paragraphs are still here but no longer canonical (by the records'
    column, no record made)."""
    return int(np.count_nonzero(records.incumbent[~dedup.memberships.canonical()]))


def component_counts(dedup: DedupResult) -> dict[str, int]:
    """How many components of the pair graph (of more than one paragraph) kept the previous run's clusters and
    how many were clustered (those a maintainer's merge or split touches are not counted)."""
    components = dedup.components
    carried = int(np.count_nonzero(components.carried))
    return {"carried": carried, "clustered": len(components.signatures) - carried}
