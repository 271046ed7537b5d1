"""A deterministic typo corpus for bench_typos.py: BBC stories told by 2-3 fake outlets with errors injected.

Each sampled story is written once per outlet as RAW/<outlet>/<story id>.txt (the title as the first line, then
the paragraphs separated by blank lines). Every copy but the first gets a small editorial difference (a sentence
dropped or two paragraphs swapped), and every copy gets its own independent errors: real human misspellings
(codespell's single-fix `typo->fix` pairs whose typo is not an English word) at about 1 word in 150 and
run-together words (the space between two lower-case words deleted) at about 1 in 400. Titles, capitalised
mid-sentence words, numbers and words under 4 letters are never touched, and no two errors are adjacent.

The ground truth of each copy is one JSON line: clean and corrupted body, both token sequences (tokens are
\\w+ runs), every injected error and every control token (names, numbers, rare correct words).
"""

from __future__ import annotations

import itertools
import json
import random
import re
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path

from harness import bbc_records

SEED = 2004
CODESPELL_VERSION = "2.4.3"
CODESPELL_CACHE = Path(tempfile.gettempdir()) / "copydesk-bench-cache" / "codespell"
ENGLISH_LIST = "frequency_dictionary_en_82_765.txt"
OUTLETS = ("daily-ledger", "metro-wire", "the-courier", "northern-post", "evening-gazette")
MISSPELLING_RATE = 1 / 150
RUNON_RATE = 1 / 400
MIN_LETTERS = 4
MIN_STORY_TOKENS = 150

TOKEN = re.compile(r"\w+")
WORD = re.compile(r"(?<![\w'’-])[A-Za-z]+(?![\w'’-])")
PAIR = re.compile(r"([a-z]+)->([a-z]+)")
SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'‘“])")


@dataclass(frozen=True)
class Story:
    """One BBC story."""

    id: str
    title: str
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class Error:
    """One injected error: the clean word(s) at clean_index became the token typo at input_index."""

    kind: str
    clean_index: int
    input_index: int
    truth: str
    typo: str


@dataclass(frozen=True)
class Copy:
    """One outlet's copy of a story and its exact ground truth."""

    path: str
    story: str
    outlet: str
    title: str
    clean_body: str
    corrupted_body: str
    clean_tokens: list[str]
    input_tokens: list[str]
    errors: list[Error]
    controls: list[tuple[int, str]]

    @classmethod
    def from_json(cls, line: str) -> Copy:
        """Read a copy back from its truth line."""
        record = json.loads(line)
        record["errors"] = [Error(**error) for error in record["errors"]]
        record["controls"] = [(index, kind) for index, kind in record["controls"]]
        return cls(**record)


def tokens(text: str) -> list[str]:
    """The benchmark's tokens: runs of word characters."""
    return TOKEN.findall(text)


def load_stories(path: Path) -> list[Story]:
    """Every story of the BBC JSON-lines file, paragraphs with their whitespace normalised."""
    records = bbc_records(path)
    return [
        Story(
            record["id"],
            " ".join(record["title"].split()),
            tuple(" ".join(part.split()) for part in record["text"].split("\n\n") if part.strip()),
        )
        for record in records
    ]


def english_words() -> frozenset[str]:
    """symspellpy's English word list (82,765 words)."""
    text = resources.files("symspellpy").joinpath(ENGLISH_LIST).read_text(encoding="utf-8")
    return frozenset(line.split()[0] for line in text.splitlines() if line.strip())


def codespell_wheel(cache: Path = CODESPELL_CACHE) -> Path:
    """codespell's wheel (pinned, so the corpus never changes), downloaded once into the cache folder."""
    wheel = cache / f"codespell-{CODESPELL_VERSION}-py3-none-any.whl"
    if not wheel.exists():
        command = [
            sys.executable,
            "-m",
            "pip",
            "download",
            f"codespell=={CODESPELL_VERSION}",
            "--no-deps",
            "--only-binary",
            ":all:",
            "-d",
            str(cache),
        ]
        result = subprocess.run(command, check=False, capture_output=True, text=True)
        if result.returncode != 0 or not wheel.exists():
            sys.exit(
                f"typo_corpus: could not download codespell {CODESPELL_VERSION} into {cache}:\n{result.stderr[-2000:]}"
            )
    return wheel


def typo_table(wheel: Path, english: frozenset[str]) -> dict[str, tuple[str, ...]]:
    """Real typos by their fix: codespell's single-fix lower-case pairs whose typo is not an English word."""
    with zipfile.ZipFile(wheel) as archive:
        text = archive.read("codespell_lib/data/dictionary.txt").decode("utf-8")
    table: dict[str, set[str]] = {}
    for line in text.splitlines():
        match = PAIR.fullmatch(line.strip())
        if match and match.group(1) not in english:
            table.setdefault(match.group(2), set()).add(match.group(1))
    return {fix: tuple(sorted(typos)) for fix, typos in table.items()}


def pick_stories(stories: list[Story], count: int, rng: random.Random) -> list[Story]:
    """A sample of distinct stories long enough to carry errors, in a fixed order."""
    by_title = {story.title: story for story in sorted(stories, key=lambda story: story.id, reverse=True)}
    eligible = sorted(
        (
            story
            for story in by_title.values()
            if len(story.paragraphs) >= 2 and len(tokens(" ".join(story.paragraphs))) >= MIN_STORY_TOKENS
        ),
        key=lambda story: story.id,
    )
    return sorted(rng.sample(eligible, min(count, len(eligible))), key=lambda story: story.id)


def edit_copy(paragraphs: tuple[str, ...], rng: random.Random) -> list[str]:
    """An outlet's editing: one sentence dropped, or two adjacent paragraphs swapped."""
    edited = list(paragraphs)
    long_ones = [index for index, paragraph in enumerate(edited) if len(SENTENCE_BREAK.split(paragraph)) >= 2]
    if long_ones and rng.random() < 0.5:
        index = rng.choice(long_ones)
        sentences = SENTENCE_BREAK.split(edited[index])
        del sentences[rng.randrange(len(sentences))]
        edited[index] = " ".join(sentences)
    else:
        index = rng.randrange(len(edited) - 1)
        edited[index], edited[index + 1] = edited[index + 1], edited[index]
    return edited


def sentence_start(text: str, start: int) -> bool:
    """Whether the word at start opens a paragraph or a sentence (an opening quote aside)."""
    before = text[:start].rstrip(" \"'‘“(")
    return not before or before.endswith(("\n", ".", "!", "?"))


def misspelling_sites(body: str, index_at: dict[int, int], typos: dict[str, tuple[str, ...]]) -> list[int]:
    """Token indices of words with a known typo: lower-case, or capitalised only at a sentence start."""
    return [
        index_at[match.start()]
        for match in WORD.finditer(body)
        if len(match.group()) >= MIN_LETTERS
        and match.group().lower() in typos
        and (match.group().islower() or (match.group().istitle() and sentence_start(body, match.start())))
    ]


def runon_sites(body: str, index_at: dict[int, int], english: frozenset[str]) -> list[int]:
    """Token indices of the first of two lower-case words one space apart whose join is not a word."""
    words = list(WORD.finditer(body))
    return [
        index_at[left.start()]
        for left, right in itertools.pairwise(words)
        if body[left.end() : right.start()] == " "
        and left.group().islower()
        and right.group().islower()
        and min(len(left.group()), len(right.group())) >= MIN_LETTERS
        and left.group() + right.group() not in english
    ]


def choose(sites: list[int], count: int, width: int, blocked: set[int], rng: random.Random) -> list[int]:
    """Up to count sites spanning width tokens, none touching a blocked token; blocks what it takes."""
    shuffled = sorted(sites)
    rng.shuffle(shuffled)
    chosen: list[int] = []
    for site in shuffled:
        cover = range(site - 1, site + width + 1)
        if len(chosen) < count and not blocked.intersection(cover):
            chosen.append(site)
            blocked.update(cover)
    return sorted(chosen)


def rounded(expected: float, rng: random.Random) -> int:
    """expected rounded up or down at random, so the average is right."""
    return int(expected + rng.random())


def cased(typo: str, word: str) -> str:
    """The typo with the capitalisation of the word it replaces."""
    return typo.capitalize() if word.istitle() else typo


def corrupt_tokens(
    clean: list[str], typos: dict[int, str], runons: set[int]
) -> tuple[list[str], list[Error], list[int]]:
    """The input tokens, the errors, and the input index of every clean token."""
    input_tokens: list[str] = []
    errors: list[Error] = []
    positions: list[int] = []
    index = 0
    while index < len(clean):
        positions.append(len(input_tokens))
        if index in runons:
            joined = clean[index] + clean[index + 1]
            errors.append(Error("runon", index, len(input_tokens), f"{clean[index]} {clean[index + 1]}", joined))
            positions.append(len(input_tokens))
            input_tokens.append(joined)
            index += 2
            continue
        if index in typos:
            errors.append(Error("misspelling", index, len(input_tokens), clean[index], typos[index]))
        input_tokens.append(typos.get(index, clean[index]))
        index += 1
    return input_tokens, errors, positions


def control_kind(body: str, start: int, token: str, english: frozenset[str]) -> str | None:
    """A token no fixer should touch: a number, a capitalised mid-sentence word (name), a rare correct word.

    A rare word is a stand-alone lower-case word (not part of "didn't" or "year-earlier") missing from the
    English word list."""
    if any(char.isdigit() for char in token):
        return "number"
    if token[0].isupper() and not sentence_start(body, start):
        return "name"
    word = WORD.match(body, start)
    if word and word.group() == token and token.islower() and len(token) >= MIN_LETTERS and token not in english:
        return "rare"
    return None


def inject_errors(
    body: str,
    matches: list[re.Match[str]],
    typos: dict[str, tuple[str, ...]],
    english: frozenset[str],
    rng: random.Random,
    misspelling_rate: float = MISSPELLING_RATE,
    runon_rate: float = RUNON_RATE,
) -> tuple[str, dict[int, str], list[int]]:
    """The body with misspellings and run-together words at these rates per token (`matches` are its tokens),
    the misspelt token indices with their typos, and the first token index of each run-together pair."""
    clean = [match.group() for match in matches]
    index_at = {match.start(): index for index, match in enumerate(matches)}
    blocked: set[int] = set()
    runons = choose(runon_sites(body, index_at, english), rounded(len(clean) * runon_rate, rng), 2, blocked, rng)
    misspelt = choose(
        misspelling_sites(body, index_at, typos), rounded(len(clean) * misspelling_rate, rng), 1, blocked, rng
    )
    replacements = {index: cased(rng.choice(typos[clean[index].lower()]), clean[index]) for index in misspelt}
    corrupted = body
    for index in sorted([*misspelt, *runons], reverse=True):
        if index in replacements:
            start, end = matches[index].span()
            corrupted = corrupted[:start] + replacements[index] + corrupted[end:]
        else:
            start, end = matches[index].start(), matches[index + 1].end()
            corrupted = corrupted[:start] + clean[index] + clean[index + 1] + corrupted[end:]
    return corrupted, replacements, runons


def make_copy(
    story: Story,
    outlet: str,
    paragraphs: list[str],
    typos: dict[str, tuple[str, ...]],
    english: frozenset[str],
    rng: random.Random,
) -> Copy:
    """One outlet's copy with its own misspellings and run-together words."""
    body = "\n\n".join(paragraphs)
    matches = list(TOKEN.finditer(body))
    clean = [match.group() for match in matches]
    corrupted, replacements, runons = inject_errors(body, matches, typos, english, rng)
    input_tokens, errors, positions = corrupt_tokens(clean, replacements, set(runons))
    assert tokens(corrupted) == input_tokens, f"token bookkeeping broke on {story.id}"
    touched = {error.clean_index for error in errors} | {runon + 1 for runon in runons}
    controls = [
        (positions[index], kind)
        for index, match in enumerate(matches)
        if index not in touched and (kind := control_kind(body, match.start(), match.group(), english))
    ]
    return Copy(
        f"{outlet}/{story.id}.txt",
        story.id,
        outlet,
        story.title,
        body,
        corrupted,
        clean,
        input_tokens,
        errors,
        controls,
    )


def build_corpus(bbc: Path, count: int) -> list[Copy]:
    """count BBC stories, each told by 2-3 outlets with independent errors (always the same for a count)."""
    rng = random.Random(SEED)
    english = english_words()
    typos = typo_table(codespell_wheel(), english)
    copies = []
    for story in pick_stories(load_stories(bbc), count, rng):
        outlets = rng.sample(OUTLETS, rng.choice((2, 3)))
        for number, outlet in enumerate(outlets):
            paragraphs = list(story.paragraphs) if number == 0 else edit_copy(story.paragraphs, rng)
            copies.append(make_copy(story, outlet, paragraphs, typos, english, rng))
    return copies


def write_corpus(copies: list[Copy], raw: Path, truth: Path) -> None:
    """Write each copy as raw/<outlet>/<story>.txt and the ground truth as JSON lines."""
    for copy in copies:
        path = raw / copy.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{copy.title}\n\n{copy.corrupted_body}\n", encoding="utf-8")
    with truth.open("w", encoding="utf-8") as lines:
        for copy in copies:
            lines.write(json.dumps(asdict(copy), ensure_ascii=False) + "\n")


def read_truth(truth: Path) -> list[Copy]:
    """The copies recorded by write_corpus."""
    return [Copy.from_json(line) for line in truth.read_text(encoding="utf-8").splitlines() if line.strip()]
