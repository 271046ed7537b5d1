"""Benchmark copydesk's paragraph dedup on syndicated BBC stories (see syndication.py).

Generates outlet copies of BBC stories (merged, split, trimmed and reworded paragraphs, junk lines,
curly or straight quotes) plus same-topic near misses, runs copydesk once through its command line,
maps every paragraph it wrote back to the written paragraph it comes from, and scores:

- clusters, pairwise: a predicted pair is two paragraphs of different articles with the same cluster_id;
  precision counts it right when the two share a source unit (an original paragraph; strict: two parts of
  one merged paragraph share none), recall looks for the pairs that hold the same source sentences (the
  same paragraph, reworded or not);
- containment: precision is the share of paragraphs with a `contained_in` whose source sentences all lie in
  that container's; recall is the share of parts (paragraphs whose sentences are a strict part of another
  article's paragraph's) that copydesk links to a bigger paragraph: a `contained_in`, or a cluster shared
  with one of their wholes;
- repetition: of the units found in 2+ input articles, the share in more than one corpus article;
- loss: of all units, the share in no corpus paragraph.

Paragraphs that hold no source text (a title or junk line copydesk kept) are left out of the pairs.

    .venv/bin/python benchmarks/bench_dedup.py [--quick] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
import tomllib
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, replace
from itertools import combinations
from pathlib import Path

import syndication
from harness import read_table, run_copydesk
from syndication import Paragraph, Sentence, Story, Unit, WrittenArticle

PROJECT = Path(__file__).resolve().parent.parent
# A source sentence is still in a trimmed corpus paragraph when this share of its words is.
PRESENT_SHARE = 0.6
PRECISION_TARGET, RECALL_TARGET = 0.99, 0.97
REPEAT_TARGET, LOSS_TARGET = 0.02, 0.005
EXAMPLES, KINDS_SHOWN = 10, 8
POOR_FIT = 0.5


@dataclass(frozen=True)
class Observed:
    """A paragraph copydesk wrote, with its cluster, its container and the written paragraph it comes from."""

    doc_id: str
    para_idx: int
    text: str
    cluster_id: str
    is_canonical: bool
    match: str
    contained_in: str | None
    path: str
    source: Paragraph
    fit: float

    @property
    def id(self) -> str:
        """Its paragraph id, `<doc_id>-<para_idx>`."""
        return f"{self.doc_id}-{self.para_idx}"

    @property
    def sentences(self) -> frozenset[Sentence]:
        """The source sentences of the written paragraph it comes from."""
        return frozenset(self.source.sentences)

    @property
    def units(self) -> frozenset[Unit]:
        """The source units of the written paragraph it comes from."""
        return self.source.units

    def describe(self) -> str:
        """One line: where it is, how it was made and matched, and its start."""
        return (
            f"{self.path} #{self.para_idx} [{self.source.kind}; {self.match}; units {show_units(self.units)}"
            f"{'; inside ' + self.contained_in if self.contained_in else ''}] "
            f"{shorten(self.text)}"
        )


@dataclass(frozen=True)
class Run:
    """copydesk's outputs mapped onto the ground truth."""

    articles: list[WrittenArticle]
    paths: dict[str, str]
    observed: list[Observed]
    corpus: list[tuple[str, Paragraph, str]]
    corpus_articles: int
    reasons: dict[Unit, Counter]
    seconds: float


@dataclass(frozen=True)
class Scores:
    """Every measured figure of one run."""

    predicted: set[tuple[int, int]]
    true: set[tuple[int, int]]
    same: set[tuple[int, int]]
    links: list[int]
    right_links: list[int]
    parts: dict[int, set[int]]
    linked: list[int]
    repeated: dict[Unit, set[str]]
    duplicated_units: int
    lost: list[Unit]
    all_units: int
    lost_sentences: set[Sentence]
    all_sentences: int


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"{syndication.QUICK_STORIES} stories instead of {syndication.STORIES} (smoke test)",
    )
    parser.add_argument("--out", type=Path, help="work folder kept after the run (default: a temporary folder)")
    return parser.parse_args(argv)


def read_corpus(out: Path) -> list[dict]:
    """The lines of corpus.jsonl."""
    with (out / "corpus.jsonl").open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def match_paragraphs(texts: Sequence[str], written: Sequence[Paragraph]) -> list[tuple[Paragraph, float]]:
    """Map each text of one article, in order, to the written paragraph sharing the most words (Jaccard of
    word sets) and give that Jaccard; among equal fits the first one not yet taken (repeated lines)."""
    written_words = [set(syndication.normalised_words(paragraph.text)) for paragraph in written]
    taken: set[int] = set()
    matches = []
    for text in texts:
        words = set(syndication.normalised_words(text))
        fits = [ratio(len(words & other), len(words | other)) for other in written_words]
        best = max(range(len(written)), key=lambda i: (fits[i], i not in taken, -i))
        taken.add(best)
        matches.append((written[best], fits[best]))
    return matches


def by_article(rows: list[dict]) -> dict[str, list[dict]]:
    """Rows grouped by doc_id, in their order."""
    groups: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        groups[row["doc_id"]].append(row)
    return groups


def observe(rows: list[dict], paths: dict[str, str], truth: dict[str, WrittenArticle]) -> list[Observed]:
    """paragraphs.parquet rows, each mapped to the written paragraph it comes from."""
    observed = []
    for doc_id, group in by_article(sorted(rows, key=lambda row: (row["doc_id"], row["para_idx"]))).items():
        path = paths[doc_id]
        matches = match_paragraphs([row["text"] for row in group], truth[path].paragraphs)
        observed.extend(
            Observed(
                doc_id,
                row["para_idx"],
                row["text"],
                row["cluster_id"],
                row["is_canonical"],
                row["match"],
                row["contained_in"],
                path,
                source,
                fit,
            )
            for row, (source, fit) in zip(group, matches)
        )
    return observed


def corpus_paragraphs(
    corpus: list[dict], paths: dict[str, str], truth: dict[str, WrittenArticle], stories: dict[str, Story]
) -> list[tuple[str, Paragraph, str]]:
    """Every corpus paragraph as (doc_id, the written paragraph it comes from, its text).

    copydesk may drop from a corpus paragraph the sentences another canonical paragraph holds, so a
    paragraph shorter than the one it was written as keeps only the source sentences still in its text.
    """
    paragraphs = []
    for line in corpus:
        texts = [text for text in line["text"].split("\n\n") if text.strip()]
        matches = match_paragraphs(texts, truth[paths[line["doc_id"]]].paragraphs)
        for text, (source, _) in zip(texts, matches):
            if len(text) < len(source.text):
                source = replace(source, sentences=present_sentences(source, text, stories))
            paragraphs.append((line["doc_id"], source, text))
    return paragraphs


def present_sentences(paragraph: Paragraph, text: str, stories: dict[str, Story]) -> tuple[Sentence, ...]:
    """The source sentences of a written paragraph whose words are mostly in `text`."""
    words = set(syndication.normalised_words(text))
    kept = []
    for sentence in paragraph.sentences:
        story_id, para_idx, index = sentence
        original = set(syndication.normalised_words(stories[story_id].paragraphs[para_idx][index]))
        if original and len(original & words) / len(original) >= PRESENT_SHARE:
            kept.append(sentence)
    return tuple(kept)


def pairs_by_key(observed: Sequence[Observed], keys: Callable[[Observed], Iterable[Hashable]]) -> set[tuple[int, int]]:
    """Index pairs of paragraphs in different articles that share one of their keys."""
    holders: dict[Hashable, set[int]] = defaultdict(set)
    for position, paragraph in enumerate(observed):
        for key in keys(paragraph):
            holders[key].add(position)
    return {
        (i, j)
        for members in holders.values()
        for i, j in combinations(sorted(members), 2)
        if observed[i].doc_id != observed[j].doc_id
    }


def true_pairs(observed: Sequence[Observed]) -> set[tuple[int, int]]:
    """Index pairs of paragraphs in different articles whose source units intersect."""
    return pairs_by_key(observed, lambda paragraph: paragraph.units)


def same_paragraph_pairs(observed: Sequence[Observed]) -> set[tuple[int, int]]:
    """Index pairs of paragraphs in different articles that hold the same source sentences."""
    return pairs_by_key(observed, lambda paragraph: [paragraph.sentences] if paragraph.sentences else [])


def predicted_pairs(observed: Sequence[Observed]) -> set[tuple[int, int]]:
    """Index pairs of paragraphs in different articles with the same cluster_id (both holding source text)."""
    return pairs_by_key(observed, lambda paragraph: [paragraph.cluster_id] if paragraph.units else [])


def parts_and_wholes(observed: Sequence[Observed]) -> dict[int, set[int]]:
    """Each paragraph whose source sentences are a strict subset of a paragraph's in another article, with
    those bigger paragraphs (its wholes), by index."""
    holders: dict[Sentence, set[int]] = defaultdict(set)
    for position, paragraph in enumerate(observed):
        for sentence in paragraph.sentences:
            holders[sentence].add(position)
    parts: dict[int, set[int]] = {}
    for part, paragraph in enumerate(observed):
        if not paragraph.sentences:
            continue
        wholes = {
            whole
            for whole in set.intersection(*(holders[sentence] for sentence in paragraph.sentences))
            if observed[whole].doc_id != paragraph.doc_id and len(observed[whole].sentences) > len(paragraph.sentences)
        }
        if wholes:
            parts[part] = wholes
    return parts


def containment_links(observed: Sequence[Observed]) -> tuple[list[int], list[int]]:
    """The paragraphs with a `contained_in`, and those of them whose source sentences all lie in it."""
    by_id = {paragraph.id: paragraph for paragraph in observed}
    links = [position for position, paragraph in enumerate(observed) if paragraph.contained_in and paragraph.units]
    right = [p for p in links if observed[p].sentences <= by_id[observed[p].contained_in].sentences]
    return links, right


def linked_parts(observed: Sequence[Observed], parts: dict[int, set[int]]) -> list[int]:
    """The parts copydesk links to a bigger paragraph: a `contained_in`, or a cluster with one of their wholes."""
    return [
        part
        for part, wholes in parts.items()
        if observed[part].contained_in
        or any(observed[whole].cluster_id == observed[part].cluster_id for whole in wholes)
    ]


def canonicals(observed: Sequence[Observed]) -> dict[str, Observed]:
    """The canonical paragraph (centre) of every cluster, kept in the corpus or not."""
    return {p.cluster_id: p for p in observed if p.id == p.cluster_id}


def articles_per_unit(items: Iterable[tuple[str, Paragraph]]) -> dict[Unit, set[str]]:
    """For each source unit, the articles (path or doc_id) holding a paragraph derived from it."""
    holders: dict[Unit, set[str]] = defaultdict(set)
    for article, paragraph in items:
        for unit in paragraph.units:
            holders[unit].add(article)
    return holders


def sentences_of(paragraphs: Iterable[Paragraph]) -> set[Sentence]:
    """Every source sentence the paragraphs hold."""
    return {sentence for paragraph in paragraphs for sentence in paragraph.sentences}


def score(
    observed: list[Observed], corpus: list[tuple[str, Paragraph, str]], articles: Sequence[WrittenArticle]
) -> Scores:
    """Pairwise, repetition and loss figures of one run."""
    predicted, true = predicted_pairs(observed), true_pairs(observed)
    links, right_links = containment_links(observed)
    parts = parts_and_wholes(observed)
    written = articles_per_unit((a.path, p) for a in articles for p in a.paragraphs)
    kept = articles_per_unit((doc_id, p) for doc_id, p, _ in corpus)
    duplicated = [unit for unit, holders in written.items() if len(holders) > 1]
    repeated = {unit: kept[unit] for unit in duplicated if len(kept.get(unit, ())) > 1}
    lost = sorted(unit for unit in written if unit not in kept)
    all_sentences = sentences_of(p for a in articles for p in a.paragraphs)
    lost_sentences = all_sentences - sentences_of(p for _, p, _ in corpus)
    return Scores(
        predicted,
        true,
        same_paragraph_pairs(observed),
        links,
        right_links,
        parts,
        linked_parts(observed, parts),
        repeated,
        len(duplicated),
        lost,
        len(written),
        lost_sentences,
        len(all_sentences),
    )


def ratio(part: int, whole: int) -> float:
    """part / whole, 0 when whole is 0."""
    return part / whole if whole else 0.0


def shorten(text: str, width: int = 90) -> str:
    """The text on one line, cut to width characters."""
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


def show_units(units: Iterable[Unit]) -> str:
    """Units as story:paragraph, comma separated."""
    return ",".join(f"{story}:{para}" for story, para in sorted(units)) or "-"


def format_table(headers: Sequence[str], rows: Sequence[Sequence[object]], align: str) -> str:
    """A plain text table with | separators; align holds one l or r per column."""
    cells = [[str(value) for value in row] for row in [headers, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(values: Sequence[str]) -> str:
        """One row, padded."""
        return " | ".join(v.ljust(w) if a == "l" else v.rjust(w) for v, w, a in zip(values, widths, align))

    return "\n".join([line(cells[0]), "-+-".join("-" * w for w in widths), *(line(row) for row in cells[1:])])


def verdict(value: float, target: float, at_most: bool) -> str:
    """PASS or FAIL against a target."""
    return "PASS" if (value <= target if at_most else value >= target) else "FAIL"


def metrics_table(scores: Scores) -> str:
    """The metric | value | target | verdict table."""
    strict = ratio(len(scores.predicted & scores.true), len(scores.predicted))
    recall = ratio(len(scores.predicted & scores.same), len(scores.same))
    contained_precision = ratio(len(scores.right_links), len(scores.links))
    contained_recall = ratio(len(scores.linked), len(scores.parts))
    repeat = ratio(len(scores.repeated), scores.duplicated_units)
    loss = ratio(len(scores.lost), scores.all_units)
    sentence_loss = ratio(len(scores.lost_sentences), scores.all_sentences)
    rows = [
        (
            "cluster_id pairwise precision (strict: pair shares a unit)",
            f"{strict:.4f}",
            f">= {PRECISION_TARGET}",
            verdict(strict, PRECISION_TARGET, False),
        ),
        (
            "cluster_id pairwise recall (pairs holding the same sentences)",
            f"{recall:.4f}",
            f">= {RECALL_TARGET}",
            verdict(recall, RECALL_TARGET, False),
        ),
        ("contained_in precision (its sentences all in the container) (info)", f"{contained_precision:.4f}", "-", "-"),
        ("containment recall (parts linked to a bigger paragraph) (info)", f"{contained_recall:.4f}", "-", "-"),
        (
            "duplicated units repeated in the corpus",
            f"{repeat:.2%}",
            f"<= {REPEAT_TARGET:.0%}",
            verdict(repeat, REPEAT_TARGET, True),
        ),
        ("units lost from the corpus", f"{loss:.2%}", f"<= {LOSS_TARGET:.1%}", verdict(loss, LOSS_TARGET, True)),
        ("source sentences lost from the corpus (info)", f"{sentence_loss:.2%}", "-", "-"),
    ]
    return format_table(["metric", "value", "target", ""], rows, "lrrl")


def counts_table(run: Run, scores: Scores) -> str:
    """Sizes of the input, copydesk's output and the ground truth."""
    articles, observed, paths, corpus_docs = run.articles, run.observed, run.paths, run.corpus_articles
    roles = Counter(a.role for a in articles)
    clusters = Counter(p.cluster_id for p in observed)
    textless = Counter(p.source.kind for p in observed if not p.units)
    rows = [
        ("articles written", f"{len(articles):,}", ", ".join(f"{n} {role}" for role, n in sorted(roles.items()))),
        ("articles in articles.parquet / corpus.jsonl", f"{len(set(paths)):,} / {corpus_docs:,}", ""),
        (
            "paragraphs in paragraphs.parquet",
            f"{len(observed):,}",
            (
                f"{sum(textless.values())} without source text "
                f"kept ({', '.join(f'{n} {kind}' for kind, n in textless.items()) or 'none'})"
            ),
        ),
        (
            "paragraphs matched to a written one poorly",
            f"{sum(p.fit < POOR_FIT for p in observed):,}",
            f"word Jaccard < {POOR_FIT}",
        ),
        ("clusters (with 2+ members)", f"{len(clusters):,} ({sum(n > 1 for n in clusters.values()):,})", ""),
        (
            "pairs sharing a unit / same-sentence pairs / predicted pairs",
            f"{len(scores.true):,} / {len(scores.same):,} / {len(scores.predicted):,}",
            f"{len(scores.true & scores.predicted):,} share a unit, {len(scores.same & scores.predicted):,} same",
        ),
        (
            "contained_in links / parts of a bigger paragraph",
            f"{len(scores.links):,} / {len(scores.parts):,}",
            f"{len(scores.right_links):,} right, {len(scores.linked):,} linked",
        ),
        ("source units (in 2+ articles)", f"{scores.all_units:,} ({scores.duplicated_units:,})", ""),
        ("copydesk run wall time", f"{run.seconds:.1f}s", ""),
    ]
    return format_table(["count", "value", "note"], rows, "lrl")


def sample(items: Sequence, count: int = EXAMPLES) -> list:
    """A fixed-seed sample of at most count items, in their order."""
    picked = sorted(random.Random(syndication.SEED).sample(range(len(items)), min(count, len(items))))
    return [items[i] for i in picked]


def kind_pair(first: Observed, second: Observed) -> str:
    """The two paragraphs' edit kinds, sorted, as one label."""
    return " / ".join(sorted((first.source.kind, second.source.kind)))


def overlap(first: Observed, second: Observed) -> tuple[float, float, float]:
    """Jaccard, first-in-second and second-in-first containment of this script's word 3-shingles."""
    a = syndication.shingles(syndication.normalised_words(first.text))
    b = syndication.shingles(syndication.normalised_words(second.text))
    shared = len(a & b)
    return ratio(shared, len(a | b)), ratio(shared, len(a)), ratio(shared, len(b))


def overlap_note(first: Observed, second: Observed) -> str:
    """The pair's overlap in words."""
    jaccard, first_in, second_in = overlap(first, second)
    return f"jaccard {jaccard:.2f}, first in second {first_in:.2f}, second in first {second_in:.2f}"


def copydesk_thresholds() -> tuple[float, float]:
    """The Jaccard and containment thresholds in the project's copydesk.toml."""
    dedup = tomllib.loads((PROJECT / "copydesk.toml").read_text(encoding="utf-8"))["dedup"]
    return dedup["jaccard_threshold"], dedup["containment_threshold"]


def meets_thresholds(first: Observed, second: Observed, thresholds: tuple[float, float]) -> bool:
    """Whether the pair is a near-duplicate or a containment by the given thresholds."""
    jaccard, first_in, second_in = overlap(first, second)
    return jaccard >= thresholds[0] or max(first_in, second_in) >= thresholds[1]


def nested(first: frozenset[Unit], second: frozenset[Unit]) -> bool:
    """Whether one unit set holds the other (a part and its whole, or two copies of the same units)."""
    return first <= second or second <= first


def print_pairs(
    title: str, pairs: list[tuple[int, int]], observed: list[Observed], centres: dict[str, Observed]
) -> None:
    """Kinds of the pairs, then example pairs with both texts, their clusters and overlap."""
    print(f"\n{title}: {len(pairs):,}")
    if not pairs:
        return
    kinds = Counter(kind_pair(observed[i], observed[j]) for i, j in pairs)
    print(format_table(["edit kinds", "pairs"], kinds.most_common(KINDS_SHOWN), "lr"))
    partial = sum(not nested(observed[i].units, observed[j].units) for i, j in pairs)
    print(f"  {partial:,} of them overlap partly (neither paragraph holds all the other's units)")
    thresholds = copydesk_thresholds()
    meeting = sum(meets_thresholds(observed[i], observed[j], thresholds) for i, j in pairs)
    print(
        f"  {meeting:,} of them meet copydesk.toml's thresholds (jaccard >= {thresholds[0]} or "
        f"containment >= {thresholds[1]}, measured on this script's 3-shingles)"
    )
    for n, (i, j) in enumerate(sample(pairs), 1):
        first, second = observed[i], observed[j]
        print(f"{n:>3}. {first.describe()}\n     {second.describe()}\n     {overlap_note(first, second)}")
        for paragraph in (first, second):
            centre = centres[paragraph.cluster_id]
            if centre is not paragraph:
                print(f"     canonical of {paragraph.path} #{paragraph.para_idx}: {centre.describe()}")


def unit_texts(articles: Sequence[WrittenArticle]) -> dict[Unit, str]:
    """The original text of every source unit (from originals and near misses)."""
    return {
        next(iter(p.units)): p.text
        for a in articles
        if a.role != "copy"
        for p in a.paragraphs
        if len(p.units) == 1 and p.ops[0] in ("original", "near_miss")
    }


def print_repeated(
    scores: Scores, corpus: list[tuple[str, Paragraph, str]], paths: dict[str, str], texts: dict[Unit, str]
) -> None:
    """Example units kept in more than one corpus article, with each corpus paragraph holding them."""
    print(f"\nRepeated units (duplicated in the input, in 2+ corpus articles): {len(scores.repeated):,}")
    holders: dict[Unit, list[frozenset[Unit]]] = defaultdict(list)
    for _, paragraph, _ in corpus:
        for unit in paragraph.units:
            holders[unit].append(paragraph.units)
    partial = sum(any(not nested(a, b) for a, b in combinations(holders[unit], 2)) for unit in scores.repeated)
    print(f"  {partial:,} of them are held by partly overlapping corpus paragraphs (e.g. two different merges)")
    for n, unit in enumerate(sample(sorted(scores.repeated)), 1):
        print(f"{n:>3}. {show_units([unit])} {shorten(texts[unit])}")
        for doc_id, paragraph, text in corpus:
            if unit in paragraph.units:
                print(
                    f"     in corpus {paths[doc_id]} [{paragraph.kind}; units {show_units(paragraph.units)}] "
                    f"{shorten(text)}"
                )


def removal_reasons(rows: list[dict], paths: dict[str, str], truth: dict[str, WrittenArticle]) -> dict[Unit, Counter]:
    """For each source unit, copydesk's reasons (removed.parquet) for removing lines derived from it."""
    reasons: dict[Unit, Counter] = defaultdict(Counter)
    for doc_id, group in by_article(rows).items():
        matches = match_paragraphs([row["text"] for row in group], truth[paths[doc_id]].paragraphs)
        for row, (source, _) in zip(group, matches):
            for unit in source.units:
                reasons[unit][row["reason"]] += 1
    return reasons


def lost_cause(unit: Unit, carriers: list[Observed], reasons: dict[Unit, Counter]) -> str:
    """Why a unit is lost: removed in cleaning (copydesk's commonest reason), or clustered away."""
    if carriers:
        return "clustered under a canonical without it"
    reason = reasons[unit].most_common(1)[0][0] if reasons.get(unit) else "no reason logged"
    return f"removed in cleaning ({reason})"


def print_lost(
    scores: Scores,
    observed: list[Observed],
    centres: dict[str, Observed],
    texts: dict[Unit, str],
    reasons: dict[Unit, Counter],
) -> None:
    """Lost units by cause, then examples with where each copy of them went; then partly lost units."""
    carriers: dict[Unit, list[Observed]] = defaultdict(list)
    for paragraph in observed:
        for unit in paragraph.units:
            carriers[unit].append(paragraph)
    print(f"\nLost units (in no corpus paragraph): {len(scores.lost):,}")
    causes = Counter(lost_cause(unit, carriers[unit], reasons) for unit in scores.lost)
    if causes:
        print(format_table(["cause", "units"], causes.most_common(), "lr"))
    for n, unit in enumerate(sample(scores.lost), 1):
        print(f"{n:>3}. {show_units([unit])} {shorten(texts[unit])}")
        print(f"     {lost_cause(unit, carriers[unit], reasons)}")
        for paragraph in carriers[unit]:
            print(f"     {paragraph.describe()}\n       canonical {centres[paragraph.cluster_id].describe()}")
    lost = set(scores.lost)
    partly = sum((story, para) not in lost for story, para, _ in scores.lost_sentences)
    print(
        f"\n{partly:,} source sentences are lost although part of their paragraph is in the corpus "
        "(a trimmed, split or merged copy kept, the rest clustered away)"
    )


def read_run(out: Path, articles: list[WrittenArticle], stories: dict[str, Story], seconds: float) -> Run:
    """Read copydesk's outputs and map every paragraph onto the written one it comes from."""
    truth = {article.path: article for article in articles}
    rows = read_table(out, "articles.parquet", ["doc_id", "source_path"])
    paths = {row["doc_id"]: row["source_path"] for row in rows}
    columns = ["doc_id", "para_idx", "text", "cluster_id", "is_canonical", "match", "contained_in"]
    observed = observe(read_table(out, "paragraphs.parquet", columns), paths, truth)
    corpus_lines = read_corpus(out)
    removals = read_table(out, "removed.parquet", ["doc_id", "text", "reason"])
    return Run(
        articles,
        paths,
        observed,
        corpus_paragraphs(corpus_lines, paths, truth, stories),
        len(corpus_lines),
        removal_reasons(removals, paths, truth),
        seconds,
    )


def report(run: Run, scores: Scores) -> None:
    """Print the metrics, the counts and examples of every kind of error."""
    centres, texts = canonicals(run.observed), unit_texts(run.articles)
    print(metrics_table(scores))
    print(counts_table(run, scores))
    print_pairs(
        "False pairs (same cluster, no shared unit)", sorted(scores.predicted - scores.true), run.observed, centres
    )
    print_pairs(
        "Missed pairs (the same sentences, different clusters)",
        sorted(scores.same - scores.predicted),
        run.observed,
        centres,
    )
    by_id = {paragraph.id: position for position, paragraph in enumerate(run.observed)}
    wrong = sorted(set(scores.links) - set(scores.right_links))
    print_pairs(
        "Wrong contained_in links (sentences outside the container)",
        [(p, by_id[run.observed[p].contained_in]) for p in wrong],
        run.observed,
        centres,
    )
    missed = sorted(set(scores.parts) - set(scores.linked))
    print_pairs(
        "Missed containment (a part linked to none of its wholes; shown with its first whole)",
        [(part, min(scores.parts[part])) for part in missed],
        run.observed,
        centres,
    )
    print_repeated(scores, run.corpus, run.paths, texts)
    print_lost(scores, run.observed, centres, texts, run.reasons)


def main(argv: Sequence[str] | None = None) -> int:
    """Generate, run copydesk, score and print."""
    arguments = parse_args(argv)
    syndication.require_data()
    started = time.monotonic()
    work = arguments.out or Path(tempfile.mkdtemp(prefix="bench_dedup-"))
    shutil.rmtree(work / "raw", ignore_errors=True)
    count = syndication.QUICK_STORIES if arguments.quick else syndication.STORIES
    stories = syndication.load_stories()
    articles = syndication.build_articles(stories, count)
    syndication.write_articles(articles, work / "raw")
    syndication.write_truth(articles, work / "truth.jsonl")
    seconds = run_copydesk(work / "raw", work / "clean", "bench_dedup")
    run = read_run(work / "clean", articles, {story.id: story for story in stories}, seconds)
    print(f"bench_dedup: {count} BBC stories syndicated (seed {syndication.SEED})\n")
    report(run, score(run.observed, run.corpus, articles))
    kept = f"work folder: {work}" if arguments.out else "temporary work folder removed"
    print(f"\nbench_dedup: finished in {time.monotonic() - started:.0f}s ({kept})")
    if not arguments.out:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
