"""The pipeline a user would write from copydesk's own packages, the baseline of the scale benchmark (issue 14).

Every `.txt` file under RAW_DIR, in path order: ftfy fixes the text; paragraphs are the blocks between blank
lines (a file without a blank line holds one paragraph a line, as scraped text dumps do); each paragraph gets
one datasketch `MinHash` of its lowercased word shingles (the words themselves when it has fewer than the
shingle size); a `MinHashLSH` at the Jaccard threshold is queried, and the paragraph is dropped when it finds
an earlier one, inserted and kept otherwise. Each article with a paragraph left is a line of OUT_FILE (JSON:
`path`, `text`); a summary line of counts (JSON) goes to stdout. Shingle size, permutations, seed and threshold
default to copydesk.toml's [dedup].

    .venv/bin/python benchmarks/naive_pipeline.py RAW_DIR OUT_FILE [--shingle-size K] [--num-perm P] ...
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import ftfy
from datasketch import MinHash, MinHashLSH

from flows.config import load_config

BLANK_LINE = re.compile(r"\n[ \t]*\n")
WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class NaiveSettings:
    """The dedup settings the naive pipeline shares with copydesk."""

    shingle_size: int
    num_perm: int
    seed: int
    threshold: float


@dataclass(frozen=True)
class NaiveCounts:
    """What a naive run read and kept."""

    articles: int
    articles_written: int
    paragraphs: int
    paragraphs_dropped: int


def paragraphs_of(text: str) -> list[str]:
    """The text's paragraphs: blocks between blank lines, or its lines when it has no blank line."""
    blocks = BLANK_LINE.split(text) if BLANK_LINE.search(text) else text.splitlines()
    return [block.strip() for block in blocks if block.strip()]


def shingles_of(paragraph: str, size: int) -> set[bytes]:
    """The paragraph's lowercased word shingles of `size` words (its words joined when it has fewer)."""
    words = WORD.findall(paragraph.lower())
    if len(words) < size:
        return {" ".join(words).encode("utf-8")}
    return {" ".join(words[i : i + size]).encode("utf-8") for i in range(len(words) - size + 1)}


def run(raw: Path, out_file: Path, settings: NaiveSettings) -> NaiveCounts:
    """Clean and deduplicate every .txt article under raw into the JSON-lines file out_file."""
    index = MinHashLSH(threshold=settings.threshold, num_perm=settings.num_perm)
    articles = written = paragraphs = dropped = 0
    with out_file.open("w", encoding="utf-8") as out:
        for path in sorted(raw.rglob("*.txt")):
            articles += 1
            kept = []
            for paragraph in paragraphs_of(ftfy.fix_text(path.read_text(encoding="utf-8", errors="replace"))):
                minhash = MinHash(num_perm=settings.num_perm, seed=settings.seed)
                minhash.update_batch(list(shingles_of(paragraph, settings.shingle_size)))
                if index.query(minhash):
                    dropped += 1
                else:
                    index.insert(paragraphs, minhash)
                    kept.append(paragraph)
                paragraphs += 1
            if kept:
                written += 1
                record = {"path": str(path.relative_to(raw)), "text": "\n\n".join(kept)}
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return NaiveCounts(articles, written, paragraphs, dropped)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the naive pipeline and print its counts as one JSON line."""
    dedup = load_config(None).dedup
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("raw_dir", type=Path, help="folder of .txt articles, read recursively")
    parser.add_argument("out_file", type=Path, help="the JSON-lines corpus to write")
    parser.add_argument("--shingle-size", type=int, default=dedup.shingle_size, help="words a shingle")
    parser.add_argument("--num-perm", type=int, default=dedup.num_perm, help="MinHash permutations")
    parser.add_argument("--seed", type=int, default=dedup.seed, help="MinHash seed")
    parser.add_argument("--threshold", type=float, default=dedup.jaccard_threshold, help="LSH Jaccard threshold")
    arguments = parser.parse_args(argv)
    settings = NaiveSettings(arguments.shingle_size, arguments.num_perm, arguments.seed, arguments.threshold)
    print(json.dumps(asdict(run(arguments.raw_dir, arguments.out_file, settings))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
