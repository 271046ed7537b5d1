"""CleanEval 2007 pages: loading, the C4 line filter baseline, and word-shingle scoring."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

SHINGLE = 4
_TOKEN = re.compile(r"\w+")
_TEXT_WRAPPER = re.compile(r"^\s*<text\b[^>]*>|</text>\s*$", re.IGNORECASE)
_GOLD_MARKER = re.compile(r"<[phl]>", re.IGNORECASE)
SENTENCE_END = (".", "!", "?", '"', "”", "’")


@dataclass(frozen=True)
class Page:
    """One CleanEval page: its number, the HTML without the CleanEval wrapper, and the gold text."""

    number: int
    html: str
    gold: str


def decode(data: bytes) -> str:
    """Decode a CleanEval file: UTF-8 when it is valid, else cp1252 (which covers latin-1 text)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def unwrap(page: str) -> str:
    """Remove the `<text id=...>` element some CleanEval inputs wrap around the page."""
    return _TEXT_WRAPPER.sub("", page)


def gold_text(gold: str) -> str:
    """The hand-cleaned text without its `URL:` line and `<p>`, `<h>`, `<l>` markers."""
    lines = [line for line in gold.splitlines() if not line.startswith("URL:")]
    return _GOLD_MARKER.sub("", "\n".join(lines))


def load_pages(folder: Path, limit: int | None = None) -> list[Page]:
    """The pages of a CleanEval folder (input/N.html, GoldStandard/N.txt) in page-number order."""
    numbers = sorted(int(path.stem) for path in (folder / "input").glob("*.html"))[:limit]
    return [
        Page(
            number=number,
            html=unwrap(decode((folder / "input" / f"{number}.html").read_bytes())),
            gold=gold_text(decode((folder / "GoldStandard" / f"{number}.txt").read_bytes())),
        )
        for number in numbers
    ]


def c4_filter(text: str, min_words: int = 8) -> str:
    """Keep only the lines of `min_words`+ words that end a sentence, as C4's line filter does."""
    lines = text.splitlines()
    return "\n".join(line for line in lines if len(line.split()) >= min_words and line.rstrip().endswith(SENTENCE_END))


def shingles(text: str) -> Counter[tuple[str, ...]]:
    """The multiset of lowercased word 4-shingles of a text."""
    tokens = [token.lower() for token in _TOKEN.findall(text)]
    return Counter(tuple(tokens[i : i + SHINGLE]) for i in range(len(tokens) - SHINGLE + 1))


@dataclass(frozen=True)
class PageScore:
    """Shingle counts of one page: overlap with the gold text, system output size, gold size."""

    overlap: int
    predicted: int
    gold: int

    @property
    def f1(self) -> float:
        """The page's F1 (1 when the gold text and the output are both empty)."""
        total = self.predicted + self.gold
        return 2 * self.overlap / total if total else 1.0


def score_page(predicted: str, gold: str) -> PageScore:
    """Compare a system's text with the gold text as bags of shingles."""
    ours, theirs = shingles(predicted), shingles(gold)
    return PageScore(sum((ours & theirs).values()), sum(ours.values()), sum(theirs.values()))


@dataclass(frozen=True)
class SystemScore:
    """Micro precision, recall and F1 over all pages, and the mean per-page F1."""

    precision: float
    recall: float
    f1: float
    macro_f1: float


def aggregate(scores: list[PageScore]) -> SystemScore:
    """Micro-average page scores (sums of overlaps over sums of sizes) and macro-average their F1."""
    overlap = sum(score.overlap for score in scores)
    predicted = sum(score.predicted for score in scores)
    gold = sum(score.gold for score in scores)
    precision = overlap / predicted if predicted else 0.0
    recall = overlap / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    macro = sum(score.f1 for score in scores) / len(scores) if scores else 0.0
    return SystemScore(precision, recall, f1, macro)
