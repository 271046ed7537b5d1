"""What a `copydesk review` command names, found in the published outputs of OUT_DIR and turned into a
decision stored by fingerprint: paragraphs by id (`<doc_id>-<para_idx>`) or fingerprint, removed lines by
fingerprint or text, corrections by word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from cleaners.keep import is_keepable, line_fingerprint
from cleaners.spelling import is_correctable
from dedup.shingles import paragraph_fingerprint
from flows.review.overrides import Override, OverridesError, source_label

EXCERPT_CHARS = 160
_PARAGRAPH_ID = re.compile(r"[0-9a-f]{16}-\d+")
_FINGERPRINT = re.compile(r"[0-9a-f]{16}")


def excerpt(text: str) -> str:
    """The start of a text, for a person to recognise it in the overrides file."""
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1].rstrip() + "…"


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of the outputs: its id, text fingerprint, source (or site), cluster and text."""

    id: str
    fingerprint: str
    source: str
    cluster_id: str
    text: str


class PublishedOutputs:
    """The tables of OUT_DIR's current run, read when first needed."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir

    def _table(self, name: str) -> pa.Table:
        try:
            return pq.read_table(self.out_dir / name)
        except OSError:
            raise OverridesError(f"no {name} in {self.out_dir}: run `copydesk run RAW_DIR --out {self.out_dir}` first")

    @cached_property
    def paragraphs(self) -> pd.DataFrame:
        """paragraphs.parquet with each paragraph's id, fingerprint and source."""
        table = self._table("paragraphs.parquet").to_pandas()
        articles = self._table("articles.parquet").select(["doc_id", "source", "site"]).to_pylist()
        sources = {row["doc_id"]: source_label(row["source"], row["site"]) for row in articles}
        table["id"] = table.doc_id + "-" + table.para_idx.astype(str)
        table["fingerprint"] = table.text.map(paragraph_fingerprint)
        table["source"] = table.doc_id.map(sources)
        return table.set_index("id", drop=False)

    @cached_property
    def removed(self) -> pd.DataFrame:
        """removed.parquet with each line's fingerprint."""
        table = self._table("removed.parquet").to_pandas()
        table["fingerprint"] = table.text.map(line_fingerprint)
        return table

    @cached_property
    def corrections(self) -> pd.DataFrame:
        """corrections.parquet."""
        return self._table("corrections.parquet").to_pandas()

    def paragraph(self, reference: str) -> Paragraph:
        """The paragraph an id or a fingerprint names (the first of its copies, for a fingerprint)."""
        table = self.paragraphs
        if _PARAGRAPH_ID.fullmatch(reference):
            found = table[table.id == reference]
        elif _FINGERPRINT.fullmatch(reference):
            found = table[table.fingerprint == reference]
        else:
            raise OverridesError(f"{reference!r} is neither a paragraph id (DOC_ID-PARA_IDX) nor a fingerprint")
        if found.empty:
            raise OverridesError(f"no paragraph {reference} in {self.out_dir}")
        row = found.iloc[0]
        return Paragraph(row.id, row.fingerprint, row.source, row.cluster_id, row.text)

    def cluster_fingerprints(self, cluster_id: str) -> set[str]:
        """The fingerprints of every paragraph in a cluster."""
        return set(self.paragraphs.fingerprint[self.paragraphs.cluster_id == cluster_id])


def pair_decision(kind: str, outputs: PublishedOutputs, references: list[str], by: str, at: str, note: str) -> Override:
    """A split or merge of two paragraphs."""
    first, second = (outputs.paragraph(reference) for reference in references)
    if first.fingerprint == second.fingerprint:
        raise OverridesError(
            f"{first.id} and {second.id} have the same text once case, quotes and punctuation are folded: "
            "copydesk cannot tell them apart"
        )
    return Override(
        kind, (first.fingerprint, second.fingerprint), (excerpt(first.text), excerpt(second.text)), by, at, note
    )


def prefer_decision(outputs: PublishedOutputs, reference: str, by: str, at: str, note: str) -> Override:
    """The canonical choice of a paragraph from its source."""
    chosen = outputs.paragraph(reference)
    table = outputs.paragraphs
    twins = table[(table.cluster_id == chosen.cluster_id) & (table.fingerprint == chosen.fingerprint)]
    if (twins.source == chosen.source).sum() > 1:
        raise OverridesError(
            f"{chosen.id}'s cluster holds another copy of the same text from {chosen.source}: nothing to choose"
        )
    return Override("prefer", (chosen.fingerprint, chosen.source), (excerpt(chosen.text),), by, at, note)


def keep_line_decision(outputs: PublishedOutputs, line: str, by: str, at: str, note: str) -> Override:
    """Keeping a removed line, named by its fingerprint or its text."""
    removed = outputs.removed
    found = removed[(removed.fingerprint == line) | (removed.text.str.strip() == line.strip())]
    if found.empty:
        raise OverridesError(f"no line removed in {outputs.out_dir} reads or has the fingerprint {line!r}")
    keepable = found[found.reason.map(is_keepable)]
    if keepable.empty:
        reasons = ", ".join(sorted(set(found.reason)))
        raise OverridesError(
            f"{found.text.iloc[0]!r} was lifted into the article's fields ({reasons}), not removed as junk; "
            "keep-line undoes junk:, caption:, section:, learned:, outside_body: and body_model: removals"
        )
    text = keepable.text.iloc[0]
    return Override("keep_line", (line_fingerprint(text),), (excerpt(text.strip()),), by, at, note)


def keep_pattern_decision(outputs: PublishedOutputs, pattern: str, by: str, at: str, note: str) -> Override:
    """Keeping every line a pattern finds; a few of the removed lines it finds now are its excerpts."""
    try:
        found = re.compile(pattern)
    except re.error as error:
        raise OverridesError(f"--pattern {pattern!r}: bad regex: {error}") from None
    removed = outputs.removed
    lines = removed.text[
        removed.reason.map(is_keepable) & removed.text.map(lambda text: bool(found.search(text.strip())))
    ]
    return Override("keep_pattern", (pattern,), tuple(excerpt(text) for text in sorted(set(lines))[:3]), by, at, note)


def correction_decision(
    outputs: PublishedOutputs, word: str, replacement: str | None, by: str, at: str, note: str
) -> Override:
    """Rejecting every correction of a word (replacement None), or accepting one everywhere."""
    if not is_correctable(word):
        raise OverridesError(f"{word!r} is not one word (or a broken word or lost space) that spelling can change")
    if replacement is not None:
        if not replacement.strip() or "\n" in replacement or replacement == word:
            raise OverridesError(f"{replacement!r} is no replacement for {word!r}")
        return Override("accept_correction", (word, replacement), (), by, at, note)
    corrections = outputs.corrections
    made = sorted(set(corrections.corrected[corrections.original == word]))
    return Override("reject_correction", (word,), tuple(f"{word} → {fix}" for fix in made), by, at, note)
