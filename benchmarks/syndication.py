"""Syndicated copies of BBC stories with sentence-level ground truth, for the dedup benchmark.

Each sampled story is written once as published (the original, in its outlet's quote style) and 0 to 4
more times by other outlets
(1 to 5 copies in all). A copy is edited paragraph by paragraph: two adjacent paragraphs merged, one
split at a sentence boundary, its last sentence trimmed, one or two words substituted or dropped; every
outlet has its quote style (straight or curly) and its junk lines, which copydesk should remove.
Near misses are honest: some stories come with another, unsampled story of the same category and
topic that borrows a few of their names.

Every written paragraph records the source sentences it holds (story id, paragraph index, sentence
index); its source units are the original paragraphs those sentences come from.

    .venv/bin/python benchmarks/syndication.py RAW_DIR [--quick]   # writes RAW_DIR and RAW_DIR.truth.jsonl
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
BBC = DATA / "bbc-news-2004.jsonl.gz"
SEED = 2004
STORIES, QUICK_STORIES = 300, 60
MAX_EXTRA_COPIES = 4
NEAR_MISS_SHARE = 0.3
NAMES_BORROWED = 3
# Chances per paragraph of a copy: one structural edit (merge, split or trim), then rewording.
MERGE, SPLIT, TRIM, REWORD = 0.12, 0.12, 0.12, 0.3
# Chance of a junk line after a paragraph inside the body.
MID_JUNK = 0.15
SHINGLE = 3
OVERLAP_LIMIT = 0.3
SHARED_SENTENCE_WORDS = 6

Sentence = tuple[str, int, int]
Unit = tuple[str, int]


@dataclass(frozen=True)
class Outlet:
    """A fake news site: its folder, quote style and junk lines."""

    name: str
    curly: bool
    top: tuple[str, ...]
    bottom: tuple[str, ...]


OUTLETS = (
    Outlet("daily-courier", True, ("Share this article",), ("Related stories", "© 2005 Daily Courier Media")),
    Outlet("metro-wire", False, ("Skip to content", "Breaking News"), ("Read more", "Follow us on Twitter")),
    Outlet("the-ledger", True, ("Print this article",), ("Leave a comment", "Sign up for our newsletter")),
    Outlet("globe-post", False, ("Share on Facebook",), ("More news", "Subscribe now")),
    Outlet("newshub", True, ("Header Ads",), ("Related articles", "Post Bottom Ad")),
    Outlet("world-report", False, ("Email this article",), ("Share this story", "No comments")),
    Outlet("press-line", True, ("Skip to main content",), ("Follow us", "Read more")),
    Outlet("evening-star", False, ("Share this article", "Advertisement"), ("Related posts",)),
)
MID_JUNK_LINES = ("Advertisement", "Advertisements")

SYNONYMS = {
    "said": "stated",
    "says": "states",
    "big": "large",
    "buy": "purchase",
    "help": "assist",
    "start": "begin",
    "show": "reveal",
    "shows": "reveals",
    "rise": "increase",
    "fall": "drop",
    "expected": "predicted",
    "however": "though",
    "also": "too",
    "about": "around",
    "many": "numerous",
    "told": "informed",
    "major": "significant",
    "final": "last",
    "firm": "company",
    "chance": "opportunity",
    "added": "continued",
    "warned": "cautioned",
    "claimed": "asserted",
    "announced": "revealed",
    "plans": "intends",
    "key": "crucial",
}
DROPPABLE = {"very", "just", "also", "now", "still", "really", "already", "the", "that", "recently"}
_SENTENCE_BREAK = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"']))\s+(?=[\"'A-Z0-9£$])")
_WORD = re.compile(r"\b[a-z]+\b")
_NAME = re.compile(r"(?<=[a-z,;] )[A-Z][a-z]{3,}\b")
_NON_WORD = re.compile(r"[^\w]+")
_NOT_NAMES = frozenset(
    "January February March April May June July August September October November December "
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
)
_STOP = frozenset(
    "the a an and or of to in on for with at by from that this is was were be has have had it its "
    "as but not he she they his her their said says will would could also which who been".split()
)


@dataclass(frozen=True)
class Story:
    """One BBC story: id, category, title and each paragraph's sentences."""

    id: str
    category: str
    title: str
    paragraphs: tuple[tuple[str, ...], ...]

    def sentence_units(self, para_idx: int) -> tuple[Sentence, ...]:
        """The sentence ids of one paragraph."""
        return tuple((self.id, para_idx, s) for s in range(len(self.paragraphs[para_idx])))


@dataclass(frozen=True)
class Paragraph:
    """A written paragraph: its text, the source sentences it holds and the edits that made it."""

    text: str
    sentences: tuple[Sentence, ...] = ()
    ops: tuple[str, ...] = ()

    @property
    def units(self) -> frozenset[Unit]:
        """The original paragraphs this one is derived from (empty for a title or junk line)."""
        return frozenset((story, para) for story, para, _ in self.sentences)

    @property
    def kind(self) -> str:
        """The edits as one label ("merged+reworded", "junk")."""
        return "+".join(self.ops)


@dataclass
class WrittenArticle:
    """One file under RAW_DIR: the story it copies, its role, and its paragraphs (title and junk included)."""

    path: str
    story_id: str
    outlet: str
    role: str
    paragraphs: list[Paragraph] = field(default_factory=list)


def normalised_words(text: str) -> list[str]:
    """Lower-cased words without punctuation or quote styles."""
    return _NON_WORD.sub(" ", text.replace("’", "").replace("'", "").casefold()).split()


def split_sentences(paragraph: str) -> tuple[str, ...]:
    """The paragraph's sentences; the whole paragraph when the split would not join back exactly."""
    sentences = tuple(_SENTENCE_BREAK.split(paragraph))
    return sentences if " ".join(sentences) == paragraph else (paragraph,)


def load_stories(path: Path = BBC) -> list[Story]:
    """Every BBC story in file order; every line with a word is a paragraph (a few are list items)."""
    stories = []
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            paragraphs = [row.strip() for row in record["text"].splitlines() if re.search(r"\w", row)]
            stories.append(
                Story(
                    record["id"],
                    record["category"],
                    record["title"].strip(),
                    tuple(split_sentences(p) for p in paragraphs),
                )
            )
    return stories


def shingles(words: list[str]) -> set[str]:
    """Word 3-shingles (the whole text when shorter)."""
    if len(words) < SHINGLE:
        return {" ".join(words)}
    return {" ".join(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)}


def distinct_stories(stories: Sequence[Story]) -> list[Story]:
    """Stories sharing no text with an earlier kept one: no common sentence of 6+ words, no paragraph
    with 30% of its shingles in one earlier paragraph (or holding 30% of one)."""
    kept: list[Story] = []
    seen_sentences: set[str] = set()
    index: dict[str, list[int]] = defaultdict(list)
    sizes: list[int] = []
    for story in stories:
        keys = sentence_keys(story)
        sets = [shingles(normalised_words(" ".join(p))) for p in story.paragraphs]
        if keys & seen_sentences or any(_overlaps(s, index, sizes) for s in sets):
            continue
        kept.append(story)
        seen_sentences |= keys
        for paragraph_shingles in sets:
            for shingle in paragraph_shingles:
                index[shingle].append(len(sizes))
            sizes.append(len(paragraph_shingles))
    return kept


def sentence_keys(story: Story) -> set[str]:
    """The story's normalised sentences of SHARED_SENTENCE_WORDS words or more."""
    sentences = (normalised_words(s) for p in story.paragraphs for s in p)
    return {" ".join(words) for words in sentences if len(words) >= SHARED_SENTENCE_WORDS}


def _overlaps(paragraph_shingles: set[str], index: dict[str, list[int]], sizes: list[int]) -> bool:
    """Whether the paragraph shares OVERLAP_LIMIT of its shingles (or of an indexed paragraph's) with one."""
    shared = Counter(other for shingle in paragraph_shingles for other in index.get(shingle, ()))
    return any(count >= OVERLAP_LIMIT * min(len(paragraph_shingles), sizes[other]) for other, count in shared.items())


def reword(text: str, rng: random.Random, count: int) -> str:
    """Substitute a synonym for, or drop, `count` lower-case words (case and quotes untouched)."""
    spots = [m for m in _WORD.finditer(text) if m.group() in SYNONYMS or m.group() in DROPPABLE]
    for match in sorted(rng.sample(spots, min(count, len(spots))), key=lambda m: m.start(), reverse=True):
        word = match.group()
        if word in SYNONYMS and (word not in DROPPABLE or rng.random() < 0.5):
            text = text[: match.start()] + SYNONYMS[word] + text[match.end() :]
        elif text[match.end() : match.end() + 1] == " ":
            text = text[: match.start()] + text[match.end() + 1 :]
    return text


def curl_quotes(text: str) -> str:
    """Typographic quotes: “ ” for double quotes, ‘ ’ for single quotes and apostrophes."""
    text = re.sub(r'(^|[\s(\[])"', "\\1“", text).replace('"', "”")
    return re.sub(r"(^|[\s(\[])'", "\\1‘", text).replace("'", "’")


def styled(paragraph: Paragraph, outlet: Outlet) -> Paragraph:
    """The paragraph in the outlet's quote style."""
    if not outlet.curly:
        return paragraph
    return Paragraph(curl_quotes(paragraph.text), paragraph.sentences, paragraph.ops)


def original_paragraphs(story: Story) -> list[Paragraph]:
    """The story's paragraphs as published."""
    return [Paragraph(" ".join(p), story.sentence_units(i), ("original",)) for i, p in enumerate(story.paragraphs)]


def edited_paragraphs(story: Story, rng: random.Random) -> list[Paragraph]:
    """An outlet's edit of the story: merges, splits, trims, then light rewording."""
    structural: list[Paragraph] = []
    i = 0
    while i < len(story.paragraphs):
        sentences, units, roll = story.paragraphs[i], story.sentence_units(i), rng.random()
        if roll < MERGE and i + 1 < len(story.paragraphs):
            text = " ".join(sentences + story.paragraphs[i + 1])
            structural.append(Paragraph(text, units + story.sentence_units(i + 1), ("merged",)))
            i += 2
            continue
        if roll < MERGE + SPLIT and len(sentences) >= 2:
            cut = rng.randint(1, len(sentences) - 1)
            structural.append(Paragraph(" ".join(sentences[:cut]), units[:cut], ("split",)))
            structural.append(Paragraph(" ".join(sentences[cut:]), units[cut:], ("split",)))
        elif roll < MERGE + SPLIT + TRIM and len(sentences) >= 2:
            structural.append(Paragraph(" ".join(sentences[:-1]), units[:-1], ("trimmed",)))
        else:
            structural.append(Paragraph(" ".join(sentences), units, ("copied",)))
        i += 1
    return [_maybe_reworded(p, rng) for p in structural]


def _maybe_reworded(paragraph: Paragraph, rng: random.Random) -> Paragraph:
    """The paragraph with one or two words changed, with probability REWORD."""
    if rng.random() >= REWORD:
        return paragraph
    changed = reword(paragraph.text, rng, rng.randint(1, 2))
    if changed == paragraph.text:
        return paragraph
    return Paragraph(changed, paragraph.sentences, paragraph.ops + ("reworded",))


def names(story: Story) -> list[str]:
    """Capitalised words inside sentences (names, places, bodies), most frequent first."""
    counts = Counter(name for p in story.paragraphs for s in p for name in _NAME.findall(s) if name not in _NOT_NAMES)
    return [name for name, _ in counts.most_common()]


def near_miss_paragraphs(story: Story, lender: Story) -> list[Paragraph]:
    """A different story of the same topic, with its most frequent names swapped for the lender's."""
    own = names(story)
    borrowed = [name for name in names(lender) if name not in own]
    swaps = dict(zip(own[:NAMES_BORROWED], borrowed[:NAMES_BORROWED]))
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, swaps)) + r")\b") if swaps else None
    paragraphs = []
    for i, sentences in enumerate(story.paragraphs):
        text = " ".join(sentences)
        if pattern:
            text = pattern.sub(lambda m: swaps[m.group()], text)
        paragraphs.append(Paragraph(text, story.sentence_units(i), ("near_miss",)))
    return paragraphs


def content_words(story: Story) -> set[str]:
    """The story's words of five letters or more outside the stop list."""
    return {w for p in story.paragraphs for s in p for w in normalised_words(s) if len(w) >= 5 and w not in _STOP}


def closest_story(story: Story, candidates: Sequence[Story], words: dict[str, set[str]]) -> Story | None:
    """The candidate of the same category whose content words (`words` by story id) overlap the story's most."""
    own = words[story.id]
    scored = [
        (len(own & words[c.id]) / len(own | words[c.id]), c.id, c) for c in candidates if c.category == story.category
    ]
    return max(scored)[2] if scored else None


def with_junk(title: str, body: list[Paragraph], outlet: Outlet, rng: random.Random) -> list[Paragraph]:
    """Title, the outlet's top junk, the body with an occasional junk line between paragraphs, bottom junk."""
    lines = [styled(Paragraph(title, (), ("title",)), outlet)] + [junk_line(line) for line in outlet.top]
    for position, paragraph in enumerate(body):
        lines.append(styled(paragraph, outlet))
        if 0 < position < len(body) - 1 and rng.random() < MID_JUNK:
            lines.append(junk_line(rng.choice(MID_JUNK_LINES)))
    return lines + [junk_line(line) for line in outlet.bottom]


def junk_line(text: str) -> Paragraph:
    """A line of site junk (no source text)."""
    return Paragraph(text, (), ("junk",))


def render(article: WrittenArticle) -> str:
    """The file's text: title line, then blank-line separated paragraphs."""
    return "\n\n".join(p.text for p in article.paragraphs) + "\n"


def build_articles(stories: Sequence[Story], count: int, seed: int = SEED) -> list[WrittenArticle]:
    """Originals, their outlet copies and near misses for `count` sampled distinct stories."""
    rng = random.Random(seed)
    pool = distinct_stories(stories)
    sampled = rng.sample(pool, count)
    chosen = {story.id for story in sampled}
    unused = [story for story in pool if story.id not in chosen]
    words = {story.id: content_words(story) for story in pool}
    articles = []
    for story in sampled:
        outlets = rng.sample(OUTLETS, 1 + rng.randint(0, MAX_EXTRA_COPIES))
        for n, outlet in enumerate(outlets):
            body = original_paragraphs(story) if n == 0 else edited_paragraphs(story, rng)
            article = WrittenArticle(
                f"{outlet.name}/{story.id}.txt", story.id, outlet.name, "original" if n == 0 else "copy"
            )
            article.paragraphs = with_junk(story.title, body, outlet, rng)
            articles.append(article)
        if rng.random() < NEAR_MISS_SHARE and (other := closest_story(story, unused, words)):
            unused.remove(other)
            outlet = rng.choice(OUTLETS)
            article = WrittenArticle(f"{outlet.name}/{other.id}.txt", other.id, outlet.name, "near_miss")
            article.paragraphs = with_junk(other.title, near_miss_paragraphs(other, story), outlet, rng)
            articles.append(article)
    return articles


def write_articles(articles: Sequence[WrittenArticle], raw_dir: Path) -> None:
    """Write every article under raw_dir as <outlet>/<story id>.txt."""
    for article in articles:
        path = raw_dir / article.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(article), encoding="utf-8")


def write_truth(articles: Sequence[WrittenArticle], path: Path) -> None:
    """The ground truth as JSON lines: one article a line, each paragraph with its sentences and edits."""
    with path.open("w", encoding="utf-8") as out:
        for article in articles:
            paragraphs = [{"text": p.text, "sentences": p.sentences, "ops": p.ops} for p in article.paragraphs]
            out.write(
                json.dumps(
                    {
                        "path": article.path,
                        "story_id": article.story_id,
                        "outlet": article.outlet,
                        "role": article.role,
                        "paragraphs": paragraphs,
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )


def require_data() -> None:
    """Exit with a clear message when the shared BBC data is not there."""
    if not BBC.exists():
        sys.exit(
            f"syndication: shared data missing: {BBC} (expected under {DATA}; it is never copied into the project)"
        )


def main(argv: Sequence[str] | None = None) -> int:
    """Write a syndicated raw folder and its ground truth."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("raw_dir", type=Path, help="folder to write the articles into")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_STORIES} stories instead of {STORIES}")
    arguments = parser.parse_args(argv)
    require_data()
    articles = build_articles(load_stories(), QUICK_STORIES if arguments.quick else STORIES)
    write_articles(articles, arguments.raw_dir)
    write_truth(articles, arguments.raw_dir.with_name(arguments.raw_dir.name + ".truth.jsonl"))
    print(f"syndication: wrote {len(articles)} articles under {arguments.raw_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
