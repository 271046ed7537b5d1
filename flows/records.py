"""Records that pass between the flow's tasks."""

from __future__ import annotations

from dataclasses import dataclass, field

from cleaners.edits import Correction, Removal
from cleaners.metadata import ArticleMetadata


@dataclass
class RawArticle:
    """One article as read from the raw folder, before cleaning."""

    doc_id: str
    source_path: str
    source_item: str | None
    format: str
    text: str
    metadata: ArticleMetadata
    content_hash: str
    encoding: str = "utf-8"


@dataclass(frozen=True)
class Rejection:
    """An input (a file, or one line of a JSONL file) that could not become an article."""

    source_path: str
    reason: str


@dataclass
class Document:
    """A cleaned article travelling through spelling and dedup to the writers."""

    doc_id: str
    source_path: str
    source_item: str | None
    format: str
    content_hash: str
    encoding: str
    metadata: ArticleMetadata
    paragraphs: list[str]
    site: str = ""
    removals: list[Removal] = field(default_factory=list)
    corrections: list[Correction] = field(default_factory=list)
    unicode_repaired: bool = False
