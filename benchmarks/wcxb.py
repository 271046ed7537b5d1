"""WCXB dev article pages (HTML and reviewed main content), the tune/held-apart split, and WCXB's word F1."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

_WORD = re.compile(r"\w+")
SPLITS = ("tune", "held-apart")


@dataclass(frozen=True)
class Page:
    """One benchmark page: its name, HTML, gold text and its split."""

    name: str
    html: str
    gold: str

    @property
    def split(self) -> str:
        """The page's split, fixed by a hash of its name: the rules were tuned on "tune" only."""
        return split_of(self.name)


def split_of(name: str) -> str:
    """ "tune" or "held-apart", by the parity of the first byte of the name's SHA-256 (about half each)."""
    return SPLITS[hashlib.sha256(name.encode()).digest()[0] % 2]


def load_pages(folder: Path, limit: int | None = None) -> list[Page]:
    """The pages of the WCXB dev articles folder (html/NNNN.html.gz, ground-truth/NNNN.json) in file order;
    a page whose ground truth has no main_content (one of the 711) is left out."""
    pages = []
    for truth in sorted((folder / "ground-truth").glob("*.json"))[:limit]:
        record = json.loads(truth.read_text(encoding="utf-8"))
        if "main_content" not in record["ground_truth"]:
            continue
        with gzip.open(folder / "html" / f"{truth.stem}.html.gz", "rb") as stream:
            html = stream.read().decode("utf-8", errors="replace")
        pages.append(Page(f"wcxb/{truth.stem}", html, record["ground_truth"]["main_content"] or ""))
    return pages


@dataclass(frozen=True)
class WordScore:
    """One page's bag-of-words overlap with its gold text (WCXB's metric)."""

    overlap: int
    predicted: int
    gold: int

    @property
    def precision(self) -> float:
        """Share of the output's words in the gold text (1 for an empty output)."""
        return self.overlap / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        """Share of the gold text's words in the output (1 for an empty gold text)."""
        return self.overlap / self.gold if self.gold else 1.0

    @property
    def f1(self) -> float:
        """The page's word F1 (1 when both are empty, 0 when only one is)."""
        total = self.predicted + self.gold
        return 2 * self.overlap / total if total else 1.0


def word_score(predicted: str, gold: str) -> WordScore:
    """Compare bags of lowercased \\w+ tokens."""
    ours = Counter(token.lower() for token in _WORD.findall(predicted))
    theirs = Counter(token.lower() for token in _WORD.findall(gold))
    return WordScore(sum((ours & theirs).values()), sum(ours.values()), sum(theirs.values()))
