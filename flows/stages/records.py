"""Records that pass between the flow's tasks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cleaners.edits import Correction, Removal, Spared
from cleaners.metadata import ArticleMetadata
from cleaners.rules import UNDETERMINED

if TYPE_CHECKING:  # only annotations: worker processes that read and clean need not import dedup
    import pyarrow as pa

    from cleaners.article import PreparedArticle
    from cleaners.boilerplate import LearnedLine
    from dedup.deduplicate import DedupResult
    from dedup.records import ParagraphRecords
    from flows.review.overrides import ReviewOutcome
    from flows.stages.cleaned import Cleaned


@dataclass(frozen=True)
class Capture:
    """Where and when a crawler fetched a page: a WARC response record's target URL, date and byte offset."""

    url: str
    captured: str | None
    offset: int


@dataclass
class RawArticle:
    """One article as read from the raw folder, before cleaning; a page read from a WARC file has its capture."""

    doc_id: str
    source_path: str
    source_item: str | None
    format: str
    text: str
    metadata: ArticleMetadata
    content_hash: str
    encoding: str = "utf-8"
    capture: Capture | None = None
    input_id: str = ""
    input_fields: str = "{}"


@dataclass
class PreparedInput:
    """A read article after the first half of cleaning, with the site its boilerplate is learned for."""

    raw: RawArticle
    prepared: PreparedArticle
    source: str


@dataclass(frozen=True)
class Rejection:
    """An input (a file, or one line of a JSONL file) that could not become an article."""

    source_path: str
    reason: str


@dataclass(frozen=True)
class Version:
    """An earlier capture of a crawled article, kept out of the corpus (a row of versions.parquet)."""

    doc_id: str
    url: str
    canonical_url: str | None
    captured: str | None
    source_path: str
    source_item: str | None
    content_hash: str
    reason: str


@dataclass(slots=True)
class Document:
    """A cleaned article travelling through spelling and dedup to the writers; `removed_lines` counts the lines
    cleaning removed (the lines themselves stay in the finished table, flows/state/finished.py); `language` is an ISO
    639-1 code or "und"; `input_id` and `input_fields` (a JSON object) are the input record's own id and its other
    fields."""

    doc_id: str
    source_path: str
    source_item: str | None
    format: str
    content_hash: str
    encoding: str
    metadata: ArticleMetadata
    paragraphs: list[str]
    site: str = ""
    removed_lines: int = 0
    corrections: list[Correction] = field(default_factory=list)
    unicode_repaired: bool = False
    published_is_fallback: bool = False
    language: str = UNDETERMINED
    input_id: str = ""
    input_fields: str = "{}"


@dataclass
class CleanedDocument:
    """A Document as the clean stage finished it, with the lines it removed and the lines a maintainer's override
    kept from a rule: written to the finished table, which the flow reads back without them."""

    document: Document
    removals: list[Removal]
    spared: list[Spared]


@dataclass
class RunResult:
    """What the stages made of the inputs, handed to the write stage: the cleaned articles' columns
    (flows/stages/cleaned.py) and their paragraph records (same order), the rejections, earlier captures, learned
    boilerplate, dedup result, review outcome and the columns of the run's finished table (flows/state/finished.py) the
    lines cleaning removed are read from (flows/outputs/tables.py REMOVED_FROM; the state holds the whole table)."""

    cleaned: Cleaned
    records: ParagraphRecords
    dedup: DedupResult
    rejections: list[Rejection]
    versions: list[Version]
    boilerplate: dict[str, dict[str, LearnedLine]]
    review: ReviewOutcome
    finished: pa.Table


class InputError(Exception):
    """An input that cannot become an article; the message is the rejection reason."""
