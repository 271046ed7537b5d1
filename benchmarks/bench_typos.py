"""Benchmark copydesk's typo correction on a corpus whose every error is known (typo_corpus.py).

BBC stories are told by 2-3 fake outlets, so a rare word is spelled right elsewhere as in real news, and each
copy carries its own real human misspellings (~1 word in 150) and run-together words (~1 in 400). By default
the copies differ as real syndicated copies do (house style, datelines, dropped sentences, merged paragraphs,
trimmed ends; misspellings of short words too; names run into "said"); `--plain` builds the first, easier
corpus whose copies differ only by a dropped sentence or a swap (its figures stay reproducible); `--seed`
draws another sample (the rules were tuned on seed 1, the default is 2004). copydesk runs once over the whole
corpus; each article's body is then scored token by token
(tokens are \\w+ runs) by aligning three sequences: the truth (clean body) and the input (corrupted body), aligned
exactly by the generator's record, and copydesk's output (its `text`), aligned to the input with difflib.

- a change is an input token that copydesk replaced (dropped tokens are counted apart: they come from other
  cleaning steps, not from spelling); it is correct when the output equals the truth there;
- precision = correct changes / changes; recall = injected errors fixed / injected errors;
- recall is also reported over the errors another copy prints right: by the generator's ground truth, another
  copy of the story prints the true word(s) unchanged at the same place in the story (whether or not copydesk
  pairs the two paragraphs); only there can a copy be evidence;
- false changes = changes to tokens that were already right, per 10,000 such clean tokens;
- controls (capitalised mid-sentence names, numbers, rare correct words, house-style words that copies reword)
  are counted apart;
- throughput = corpus tokens / wall time of the copydesk run (which includes Prefect's start-up) and / the
  flow's own `elapsed_seconds` from manifest.json.

    .venv/bin/python benchmarks/bench_typos.py [--quick] [--plain] [--seed N] [--out DIR]
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq
import typo_corpus
from harness import format_table, fresh_folder, run_copydesk

PROJECT = Path(__file__).resolve().parent.parent
DATA = PROJECT.parent / "shared" / "data"
BBC = DATA / "bbc-news-2004.jsonl.gz"
STORIES, QUICK_STORIES = 150, 40
PRECISION_TARGET, RECALL_TARGET, FALSE_PER_10K_TARGET = 0.99, 0.95, 0.2
SHOWN = 15
MAX_GROUP = 3
# Misses are grouped by traits that the defaults of copydesk.toml make hard: typos under min_word_length (5)
# letters, and right words without min_frequency_ratio (3) times the typo's count in the corpus.
SHORT_WORD, FEW_TIMES = 5, 3
# Recall is reported apart for misspelt words of 2 to 4 letters ("fomr", "tath", "teh").
SHORT_LETTERS = range(2, 5)
ERROR_KINDS = {"misspelling": "misspellings", "runon": "run-together words"}
CONTROL_KINDS = {
    "name": "capitalised names",
    "number": "numbers",
    "rare": "rare correct words",
    "reworded": "house-style words (said/says, mln...)",
}


@dataclass(frozen=True)
class Judged:
    """One input token, what it should be and what copydesk made of it."""

    doc_id: str
    token: str
    truth: tuple[str, ...]
    kind: str
    control: str | None
    output: tuple[str, ...]
    evidenced: bool = False

    @property
    def changed(self) -> bool:
        """copydesk replaced the token (dropping it is not counted as a change)."""
        return bool(self.output) and self.output != (self.token,)

    @property
    def right(self) -> bool:
        """The output equals the truth here."""
        return self.output == self.truth


@dataclass(frozen=True)
class Run:
    """What one copydesk run produced and how long it took."""

    articles: dict[str, dict]
    rules: dict[tuple[str, str], tuple[str, str]]
    wall_seconds: float
    flow_seconds: float


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_STORIES} stories instead of {STORIES}")
    parser.add_argument("--plain", action="store_true", help="the first corpus: copies differ only where typos are")
    parser.add_argument("--seed", type=int, default=typo_corpus.SEED, help="corpus seed (stories, edits, errors)")
    parser.add_argument("--out", type=Path, help="work folder kept after the run (default: a temporary folder)")
    return parser.parse_args(argv)


def require_data() -> None:
    """Exit with a clear message when the shared BBC data is not there."""
    if not BBC.exists():
        sys.exit(
            f"bench_typos: shared data missing: {BBC} (the BBC stories are read from {DATA}, "
            "never copied into the project)"
        )


def run_and_read(raw: Path, out: Path) -> Run:
    """Run the copydesk command line once on raw into out (forced) and read what the scoring needs."""
    wall = run_copydesk(raw, out, "bench_typos")
    articles = pq.read_table(out / "articles.parquet", columns=["source_path", "doc_id", "title", "text"])
    corrections = pq.read_table(out / "corrections.parquet", columns=["doc_id", "original", "rule", "context"])
    rules = {(row["doc_id"], row["original"]): (row["rule"], row["context"]) for row in corrections.to_pylist()}
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return Run({row["source_path"]: row for row in articles.to_pylist()}, rules, wall, manifest["elapsed_seconds"])


def output_body(copy: typo_corpus.Copy, article: dict | None) -> list[str]:
    """copydesk's body tokens for a copy: none when it was rejected, without the title when it was not lifted."""
    if article is None:
        return []
    output = typo_corpus.tokens(article["text"])
    title = typo_corpus.tokens(copy.title)
    return output[len(title) :] if not article["title"] and output[: len(title)] == title else output


def dissimilarity(token: str, group: Sequence[str]) -> float:
    """How far a run of output tokens is from the input token it replaces (0 same letters, 1 nothing shared)."""
    if not group:
        return 1.0
    return 1.0 - difflib.SequenceMatcher(None, token.lower(), "".join(group).lower()).ratio()


def split_block(sources: Sequence[str], targets: Sequence[str]) -> list[tuple[str, ...]]:
    """Give each source token a run of 0 to MAX_GROUP target tokens, the most similar partition (all used)."""
    if len(targets) > MAX_GROUP * len(sources):
        head = [tuple(targets[index : index + 1]) for index in range(len(sources) - 1)]
        return [*head, tuple(targets[len(sources) - 1 :])]
    inf = float("inf")
    cost = [[inf] * (len(targets) + 1) for _ in range(len(sources) + 1)]
    size = [[0] * (len(targets) + 1) for _ in range(len(sources) + 1)]
    cost[0][0] = 0.0
    for i in range(1, len(sources) + 1):
        for j in range(len(targets) + 1):
            for k in range(min(MAX_GROUP, j) + 1):
                candidate = cost[i - 1][j - k] + dissimilarity(sources[i - 1], targets[j - k : j])
                if candidate < cost[i][j]:
                    cost[i][j], size[i][j] = candidate, k
    groups: list[tuple[str, ...]] = []
    j = len(targets)
    for i in range(len(sources), 0, -1):
        groups.append(tuple(targets[j - size[i][j] : j]))
        j -= size[i][j]
    return groups[::-1]


def align(source: list[str], target: list[str]) -> tuple[list[tuple[str, ...]], int]:
    """The output run of every input token, and how many output tokens match no input token."""
    groups: list[tuple[str, ...]] = []
    inserted = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, source, target, autojunk=False).get_opcodes():
        if tag == "insert":
            inserted += j2 - j1
        elif tag == "delete":
            groups.extend(() for _ in range(i1, i2))
        elif tag == "equal" or i2 - i1 == j2 - j1:
            groups.extend((token,) for token in target[j1:j2])
        else:
            groups.extend(split_block(source[i1:i2], target[j1:j2]))
    return groups, inserted


def judge_copy(
    copy: typo_corpus.Copy, doc_id: str, output: list[str], evidenced: set[tuple[str, int]]
) -> tuple[list[Judged], int]:
    """Every input token of a copy judged against its truth (`evidenced` holds the (path, input index) of the
    errors another copy prints right), and the count of unmatched output tokens."""
    truth: list[tuple[str, ...]] = [(token,) for token in copy.input_tokens]
    kinds = ["clean"] * len(copy.input_tokens)
    for error in copy.errors:
        truth[error.input_index], kinds[error.input_index] = tuple(error.truth.split()), error.kind
    controls = dict(copy.controls)
    groups, inserted = align(copy.input_tokens, output)
    judged = [
        Judged(
            doc_id,
            token,
            truth[index],
            kinds[index],
            controls.get(index),
            groups[index],
            (copy.path, index) in evidenced,
        )
        for index, token in enumerate(copy.input_tokens)
    ]
    return judged, inserted


def printed_right(copy: typo_corpus.Copy) -> dict[int, str]:
    """The words a copy prints as the story has them, by their place in the story (its errors left out)."""
    corrupted = {error.clean_index for error in copy.errors}
    corrupted |= {error.clean_index + 1 for error in copy.errors if error.kind == "runon"}
    return {
        place: word
        for index, (place, word) in enumerate(zip(copy.story_positions, copy.clean_tokens, strict=True))
        if place >= 0 and index not in corrupted
    }


def evidenced_errors(copies: list[typo_corpus.Copy]) -> set[tuple[str, int]]:
    """The (path, input index) of every error that another copy of its story prints right: the same word(s) at
    the same place in the story, by the generator's ground truth (not by what copydesk paired)."""
    printed = {copy.path: printed_right(copy) for copy in copies}
    by_story: dict[str, list[typo_corpus.Copy]] = {}
    for copy in copies:
        by_story.setdefault(copy.story, []).append(copy)
    evidenced = set()
    for copy in copies:
        for error in copy.errors:
            span = range(error.clean_index, error.clean_index + (2 if error.kind == "runon" else 1))
            places = [(copy.story_positions[index], copy.clean_tokens[index]) for index in span]
            if any(place < 0 for place, _ in places):
                continue
            if any(
                all(printed[other.path].get(place) == word for place, word in places)
                for other in by_story[copy.story]
                if other.path != copy.path
            ):
                evidenced.add((copy.path, error.input_index))
    return evidenced


def ratio(part: int, whole: int) -> float:
    """part / whole, 0 for an empty whole."""
    return part / whole if whole else 0.0


def verdict(ok: bool) -> str:
    """PASS or FAIL."""
    return "PASS" if ok else "FAIL"


def share(items: list[Judged]) -> tuple[float, str]:
    """The share of items that are right, and how it reads in the table."""
    right = sum(item.right for item in items)
    return ratio(right, len(items)), f"{ratio(right, len(items)):.3f} ({right:,} / {len(items):,})"


def change_metric_rows(judged: list[Judged]) -> list[list[str]]:
    """Precision and recall rows against their targets, recall per kind and for unique typos."""
    errors = [item for item in judged if item.kind != "clean"]
    precision, precision_text = share([item for item in judged if item.changed])
    recall_text = share(errors)[1]
    rows = [
        ["precision of changes", precision_text, f">= {PRECISION_TARGET}", verdict(precision >= PRECISION_TARGET)],
        ["recall, all injected errors", recall_text, "", ""],
    ]
    for kind, label in ERROR_KINDS.items():
        kind_recall, kind_text = share([item for item in errors if item.kind == kind])
        rows.append([f"  recall, {label}", kind_text, f">= {RECALL_TARGET}", verdict(kind_recall >= RECALL_TARGET)])
    short = [item for item in errors if item.kind == "misspelling" and len(item.truth[0]) in SHORT_LETTERS]
    rows.append(["  recall, misspelt words of 2-4 letters", share(short)[1], "", ""])
    names = [item for item in errors if item.kind == "runon" and item.truth[0][0].isupper()]
    rows.append(["  recall, names run into the next word", share(names)[1], "", ""])
    counts = token_counts(judged)
    unique = [item for item in errors if counts[item.token.lower()] == 1]
    rows.append(["  recall, errors whose typo is unique in the corpus", share(unique)[1], "", ""])
    rows.append(
        ["  injected errors changed wrongly", f"{sum(item.changed and not item.right for item in errors):,}", "", ""]
    )
    return rows + evidenced_rows([item for item in errors if item.evidenced])


def evidenced_rows(evidenced: list[Judged]) -> list[list[str]]:
    """Recall over the errors another copy prints right (where copies are evidence), per kind against the target."""
    rows = [["recall, errors another copy prints right", share(evidenced)[1], "", ""]]
    for kind, label in ERROR_KINDS.items():
        kind_recall, kind_text = share([item for item in evidenced if item.kind == kind])
        rows.append([f"  recall, {label}", kind_text, f">= {RECALL_TARGET}", verdict(kind_recall >= RECALL_TARGET)])
    short = [item for item in evidenced if item.kind == "misspelling" and len(item.truth[0]) in SHORT_LETTERS]
    rows.append(["  recall, misspelt words of 2-4 letters", share(short)[1], "", ""])
    return rows


def clean_metric_rows(judged: list[Judged]) -> list[list[str]]:
    """False changes per 10,000 clean words against the target, and changed controls per kind."""
    clean = [item for item in judged if item.kind == "clean"]
    false = sum(item.changed for item in clean)
    per_10k = 10_000 * ratio(false, len(clean))
    rows = [
        [
            "false changes per 10,000 clean words",
            f"{per_10k:.2f} ({false:,} in {len(clean):,})",
            f"<= {FALSE_PER_10K_TARGET}",
            verdict(per_10k <= FALSE_PER_10K_TARGET),
        ]
    ]
    for kind, label in CONTROL_KINDS.items():
        group = [item for item in clean if item.control == kind]
        rows.append(
            [f"  controls changed: {label}", f"{sum(item.changed for item in group):,} / {len(group):,}", "", ""]
        )
    return rows


def other_metric_rows(judged: list[Judged], inserted: int, tokens: int, run: Run) -> list[list[str]]:
    """Words dropped or added outside spelling, and throughput."""
    return [
        ["input words dropped (not spelling)", f"{sum(not item.output for item in judged):,}", "", ""],
        ["output words matching no input word", f"{inserted:,}", "", ""],
        [
            "throughput, wall time",
            f"{tokens / run.wall_seconds:,.0f} tokens/s ({run.wall_seconds:.1f} s, incl. Prefect start-up ~10 s)",
            "",
            "",
        ],
        [
            "throughput, flow elapsed_seconds",
            f"{tokens / run.flow_seconds:,.0f} tokens/s ({run.flow_seconds:.1f} s)",
            "",
            "",
        ],
    ]


def rule_rows(judged: list[Judged], run: Run) -> list[list[object]]:
    """Changes and their precision per copydesk rule (from corrections.parquet)."""
    totals: Counter[str] = Counter()
    right: Counter[str] = Counter()
    for item in judged:
        if item.changed:
            rule = run.rules.get((item.doc_id, item.token), ("not in corrections.parquet", ""))[0]
            totals[rule] += 1
            right[rule] += item.right
    return [[rule, count, right[rule], f"{ratio(right[rule], count):.3f}"] for rule, count in totals.most_common()]


def token_counts(judged: list[Judged]) -> Counter[str]:
    """How often each lower-cased input token occurs in the whole corpus."""
    return Counter(item.token.lower() for item in judged)


def miss_trait(item: Judged, counts: Counter[str]) -> str:
    """What a missed error has in common with others: repeated, short, weakly attested, capitalised, or other."""
    if counts[item.token.lower()] > 1:
        return "the typo occurs 2+ times in the corpus"
    if len(item.token) < SHORT_WORD:
        return f"the typo has under {SHORT_WORD} letters"
    if min(counts[word.lower()] for word in item.truth) < FEW_TIMES:
        return f"a right word occurs under {FEW_TIMES} times in the corpus"
    if item.token[0].isupper():
        return "capitalised (sentence start)"
    return "other"


def trait_rows(judged: list[Judged]) -> list[list[object]]:
    """Missed injected errors by kind and trait, most first."""
    counts = token_counts(judged)
    traits = Counter(
        (item.kind, miss_trait(item, counts)) for item in judged if item.kind != "clean" and not item.right
    )
    return [[ERROR_KINDS[kind], trait, count] for (kind, trait), count in traits.most_common()]


def miss_rows(judged: list[Judged]) -> list[list[object]]:
    """The most common injected errors copydesk left unchanged."""
    misses = Counter(
        (item.kind, item.token.lower(), " ".join(item.truth).lower())
        for item in judged
        if item.kind != "clean" and not item.changed
    )
    return [[count, kind, f"{typo} -> {truth}"] for (kind, typo, truth), count in misses.most_common(SHOWN)]


def change_rows(judged: list[Judged], run: Run, kinds: set[str], truth: bool) -> list[list[object]]:
    """The most common wrong changes to tokens of the given kinds, with copydesk's rule and a context."""
    changes: Counter[tuple[str, ...]] = Counter()
    where: dict[tuple[str, ...], tuple[str, str]] = {}
    for item in judged:
        if item.kind in kinds and item.changed and not item.right:
            key = (item.token, " ".join(item.output), " ".join(item.truth) if truth else item.control or "")
            changes[key] += 1
            where.setdefault(key, run.rules.get((item.doc_id, item.token), ("not in corrections.parquet", "")))
    rows = []
    for (token, output, third), count in changes.most_common(SHOWN):
        rule, context = where[(token, output, third)]
        rows.append([count, f"{token} -> {output}", third, rule, " ".join(context.split())])
    return rows


def print_section(title: str, headers: Sequence[str], rows: list[list[object]], align_: str) -> None:
    """A titled table, or "(none)"."""
    print(f"\n{title}\n")
    print(format_table(headers, rows, align_, " | ") if rows else "  (none)")


def main(argv: Sequence[str] | None = None) -> int:
    """Generate the corpus, run copydesk once, score and print."""
    arguments = parse_args(argv)
    require_data()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench_typos-") as temporary:
        work = arguments.out.resolve() if arguments.out else Path(temporary)
        raw, out, truth = fresh_folder(work / "raw"), work / "clean", work / "truth.jsonl"
        count = QUICK_STORIES if arguments.quick else STORIES
        corpus = typo_corpus.build_corpus(BBC, count, arguments.seed, syndicated=not arguments.plain)
        typo_corpus.write_corpus(corpus, raw, truth)
        copies = typo_corpus.read_truth(truth)
        run = run_and_read(raw, out)
        evidenced = evidenced_errors(copies)
        judged: list[Judged] = []
        inserted = 0
        for copy in copies:
            article = run.articles.get(copy.path)
            doc_id = article["doc_id"] if article else ""
            items, extra = judge_copy(copy, doc_id, output_body(copy, article), evidenced)
            judged += items
            inserted += extra
    tokens = sum(len(copy.input_tokens) + len(typo_corpus.tokens(copy.title)) for copy in copies)
    missing = sum(copy.path not in run.articles for copy in copies)
    unlifted = sum(copy.path in run.articles and not run.articles[copy.path]["title"] for copy in copies)
    print(
        f"bench_typos: {len({copy.story for copy in copies})} BBC stories told by {len(copies)} outlet copies, "
        f"{tokens:,} tokens; {sum(len(copy.errors) for copy in copies):,} injected errors "
        f"({'plain corpus, codespell' if arguments.plain else 'syndicated corpus, codespell and nlpaug'}, "
        f"seed {arguments.seed}); "
        f"{missing} copies missing from articles.parquet, {unlifted} titles not lifted\n"
    )
    rows = [*change_metric_rows(judged), *clean_metric_rows(judged), *other_metric_rows(judged, inserted, tokens, run)]
    print(format_table(["metric", "value", "target", ""], rows, "lrll", " | "))
    print_section(
        "Changes by copydesk rule", ["rule", "changes", "correct", "precision"], rule_rows(judged, run), "lrrr"
    )
    print_section("Missed errors by what they have in common", ["kind", "trait", "missed"], trait_rows(judged), "llr")
    print_section(
        f"The {SHOWN} most common missed errors (left unchanged)",
        ["count", "kind", "typo -> truth"],
        miss_rows(judged),
        "rll",
    )
    print_section(
        f"The {SHOWN} most common missed errors another copy prints right (left unchanged)",
        ["count", "kind", "typo -> truth"],
        miss_rows([item for item in judged if item.evidenced]),
        "rll",
    )
    print_section(
        f"The {SHOWN} most common wrong fixes of injected errors",
        ["count", "typo -> output", "truth", "rule", "context (corrections.parquet)"],
        change_rows(judged, run, set(ERROR_KINDS), truth=True),
        "rllll",
    )
    print_section(
        f"The {SHOWN} most common false changes (clean words changed)",
        ["count", "original -> output", "control", "rule", "context (corrections.parquet)"],
        change_rows(judged, run, {"clean"}, truth=False),
        "rllll",
    )
    print(
        f"\nbench_typos: finished in {time.monotonic() - started:.0f}s (work folder: "
        f"{work if arguments.out else 'temporary, removed'})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
