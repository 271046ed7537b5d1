"""Benchmark copydesk's cleaning through its command line.

Part A scores text extraction on two sets of pages with gold text, CleanEval dev and WCXB's dev articles,
each split in two by a hash of the page's name (tune: the rules were tuned on it; held-apart: never looked
at while tuning). copydesk on the HTML and on careless text dumps of the pages (visible text, one block a
line), and on the HTML once more with readers' comments kept ([html] include_comments = true: CleanEval's gold
counts them as content, WCXB's does not), stands beside bare trafilatura (default, which keeps readers' comments,
without them, and favor_precision with and without them),
readability-lxml, jusText, jusText on the dump and a C4-style line filter, by the scrapinghub metric (bags of
lowercased word 4-shingles, micro-averaged) and WCXB's word F1 (bags of lowercased words, macro-averaged). Part C times copydesk's HTML
path beside bare trafilatura on the same pages. With --tune-only, part A alone on the tune split (all a
change may be tuned on), with the tune pages where copydesk trails a baseline of its kind.
Part B wraps BBC articles in the junk of fake news sites and measures how much junk copydesk removes and
how much article text it keeps, listing the junk that survives and the text that is lost.

    .venv/bin/python benchmarks/bench_clean.py [--quick] [--tune-only] [--out DIR]
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import baselines
import cleaneval
import junk_score
import junk_sites
import wcxb
from harness import format_table, fresh_folder, read_table, run_copydesk

from flows.reading.extraction import extract_html
from flows.reading.html_text import visible_text
from flows.stages.records import InputError

PROJECT = Path(__file__).resolve().parent.parent
DATA = PROJECT.parent / "shared" / "data"
CLEANEVAL = DATA / "cleaneval-dev"
WCXB = DATA / "wcxb-dev-articles"
BBC = DATA / "bbc-news-2004.jsonl.gz"
SEED = 2005
ARTICLES, QUICK_ARTICLES = 300, 60
QUICK_PAGES = 16
SPEED_PAGES = 150
TRAILING_BY = 0.01  # --tune-only lists the tune pages where copydesk's shingle F1 trails a baseline by more
JUNK_TARGET, WORDS_TARGET = 0.98, 0.995
SURVIVORS_SHOWN, LOSSES_SHOWN = 15, 10


@dataclass(frozen=True)
class CopydeskRun:
    """One copydesk run over part A's raw folder: its output folder's name and the TOML laid over the default
    config ("" for the defaults)."""

    folder: str
    overlay: str = ""


@dataclass(frozen=True)
class CopydeskSystem:
    """A copydesk row of part A: the raw folder it reads ("html" or "dump"; so the baselines it is judged against)
    and the run it comes from."""

    kind: str
    run: CopydeskRun


DEFAULT_RUN = CopydeskRun("clean")
COMMENTS_RUN = CopydeskRun("clean-comments", "[html]\ninclude_comments = true\n")
COPYDESK = {
    "copydesk-html": CopydeskSystem("html", DEFAULT_RUN),
    "copydesk-dump": CopydeskSystem("dump", DEFAULT_RUN),
    "copydesk-html-comments": CopydeskSystem("html", COMMENTS_RUN),
}
# Whether each set's gold counts readers' comments as content, and the copydesk HTML row that follows that policy:
# CleanEval's gold keeps them (page 57's holds its thread of 22 comments), WCXB's drops them (18 of its ground
# truths list a comment section's furniture, "Leave a comment", "124 Comments", among the snippets it must not hold)
GOLD_COMMENTS = {"CleanEval": ("kept", "copydesk-html-comments"), "WCXB": ("dropped", "copydesk-html")}
# Bare trafilatura under the same comment policy as each copydesk HTML row: whichever policy a maintainer picks,
# this is what running trafilatura alone with that policy would give
SAME_POLICY = {
    "copydesk-html": ("trafilatura-no-comments", "trafilatura-precision-no-comments"),
    "copydesk-html-comments": ("trafilatura", "trafilatura-precision"),
}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a small sample (smoke test)")
    parser.add_argument(
        "--tune-only",
        action="store_true",
        help="part A on the tune split alone, listing the pages where copydesk trails (never the held-apart split)",
    )
    parser.add_argument("--out", type=Path, help="work folder kept after the run (default: a temporary folder)")
    return parser.parse_args(argv)


def require_data() -> None:
    """Exit with a clear message when the shared development data is not there."""
    needed = (CLEANEVAL / "input", CLEANEVAL / "GoldStandard", WCXB / "html", WCXB / "ground-truth", BBC)
    missing = [str(path) for path in needed if not path.exists()]
    if missing:
        sys.exit(
            f"bench_clean: shared data missing: {', '.join(missing)} (expected under {DATA}; "
            "it is never copied into the project)"
        )


def cleaned_texts(out: Path) -> dict[str, dict]:
    """copydesk's articles by source_path (doc_id, title, text)."""
    rows = read_table(out, "articles.parquet", ["source_path", "doc_id", "title", "text"])
    return {row["source_path"]: row for row in rows}


def rejections(out: Path) -> dict[str, str]:
    """copydesk's rejection reason by source_path."""
    return {row["source_path"]: row["reason"] for row in read_table(out, "rejected.parquet", ["source_path", "reason"])}


def pct(value: float, digits: int = 1) -> str:
    """A share as a percentage."""
    return f"{100 * value:.{digits}f}%"


def shorten(text: str, width: int = 110) -> str:
    """One line of at most width characters."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


# Part A: extraction on pages with gold text


def load_sets(quick: bool, splits: Sequence[str] = wcxb.SPLITS) -> dict[str, list[wcxb.Page]]:
    """Both sets' pages of these splits by set name, named "cleaneval/N" and "wcxb/NNNN"."""
    limit = QUICK_PAGES if quick else None
    cleaneval_pages = [
        wcxb.Page(f"cleaneval/{page.number}", page.html, page.gold) for page in cleaneval.load_pages(CLEANEVAL, limit)
    ]
    sets = {"CleanEval": cleaneval_pages, "WCXB": wcxb.load_pages(WCXB, limit)}
    return {name: [page for page in pages if page.split in splits] for name, pages in sets.items()}


def write_raw(pages: list[wcxb.Page], dumps: dict[str, str], raw: Path) -> None:
    """Write each page as raw/html/NAME.html and its text dump as raw/dump/NAME.txt."""
    for page in pages:
        for folder, suffix, text in (("html", ".html", page.html), ("dump", ".txt", dumps[page.name] + "\n")):
            path = raw / folder / f"{page.name}{suffix}"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")


def run_options(run: CopydeskRun, work: Path) -> list[str]:
    """A run's extra command-line options: --config with its overlay, written to work/FOLDER.toml, if it has one."""
    if not run.overlay:
        return []
    config = work / f"{run.folder}.toml"
    config.write_text(run.overlay, encoding="utf-8")
    return ["--config", str(config)]


def copydesk_runs(raw: Path, work: Path) -> dict[CopydeskRun, Path]:
    """Run copydesk over the whole raw folder once per run of COPYDESK, one after another; each run's output."""
    outs = {}
    for run in dict.fromkeys(system.run for system in COPYDESK.values()):
        outs[run] = work / run.folder
        run_copydesk(raw, outs[run], "bench_clean", *run_options(run, work))
    return outs


def copydesk_outputs(pages: list[wcxb.Page], raw: Path, work: Path) -> tuple[dict[str, dict[str, str]], list[str]]:
    """Run copydesk over raw (as write_raw wrote it) into work: its text per system and page (empty when
    rejected), and the rejection notes."""
    outs = copydesk_runs(raw, work)
    outputs: dict[str, dict[str, str]] = {system: {} for system in COPYDESK}
    notes = []
    for system, row in COPYDESK.items():
        texts, rejected = cleaned_texts(outs[row.run]), rejections(outs[row.run])
        suffix = ".html" if row.kind == "html" else ".txt"
        for page in pages:
            path = f"{row.kind}/{page.name}{suffix}"
            outputs[system][page.name] = texts[path]["text"] if path in texts else ""
            if path in rejected:
                notes.append(f"{system} {path}: {rejected[path]}")
    return outputs, notes


def score_row(outputs: dict[str, str], pages: list[wcxb.Page]) -> list[float]:
    """Shingle P, R, F1 (micro) and word P, R, F1 (macro) of one system on some pages."""
    shingle = cleaneval.aggregate([cleaneval.score_page(outputs[page.name], page.gold) for page in pages])
    words = [wcxb.word_score(outputs[page.name], page.gold) for page in pages]
    count = len(words) or 1
    macro = [sum(getattr(score, name) for score in words) / count for name in ("precision", "recall", "f1")]
    return [shingle.precision, shingle.recall, shingle.f1, *macro]


def rivals_of(system: str) -> dict:
    """The baselines a copydesk system is judged against: those that read what it reads."""
    return baselines.HTML_SYSTEMS if COPYDESK[system].kind == "html" else baselines.DUMP_SYSTEMS


def is_ahead(system: str, rivals: Sequence[str], scores: dict[str, list[float]]) -> bool:
    """Whether a system's shingle and word F1 are both above every rival's."""
    return all(scores[system][i] > scores[rival][i] for rival in rivals for i in (2, 5))


def verdict(system: str, scores: dict[str, list[float]]) -> str:
    """Whether a copydesk system's shingle and word F1 are both above every baseline of its kind."""
    ahead = is_ahead(system, list(rivals_of(system)), scores)
    return f"ahead of every {COPYDESK[system].kind} baseline" if ahead else "NOT ahead"


def same_policy_line(set_name: str, split: str, scores: dict[str, list[float]]) -> str:
    """One set and split: each copydesk HTML row against bare trafilatura under the same comment policy."""
    said = [
        f"{system} {'ahead of' if is_ahead(system, rivals, scores) else 'NOT ahead of'} {' and '.join(rivals)}"
        for system, rivals in SAME_POLICY.items()
    ]
    return f"  {set_name} {split}: " + "; ".join(said)


def trailing_pages(systems: dict[str, dict[str, str]], pages: list[wcxb.Page]) -> list[list[str]]:
    """Rows of the pages where a copydesk system's shingle F1 trails a baseline of its kind by TRAILING_BY+."""
    rows = []
    for page in pages:
        for name in COPYDESK:
            rivals = rivals_of(name)
            scores = {
                system: cleaneval.score_page(systems[system][page.name], page.gold).f1 for system in (name, *rivals)
            }
            best = max(rivals, key=scores.__getitem__)
            if scores[best] - scores[name] > TRAILING_BY:
                rows.append([page.name, name, f"{scores[name]:.3f}", best, f"{scores[best]:.3f}"])
    return rows


def part_a(work: Path, quick: bool, tune_only: bool = False) -> None:
    """Score every system on each set and split and print the table; with tune_only, the tune split alone,
    the pages where copydesk trails and no timing."""
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    splits = wcxb.SPLITS[:1] if tune_only else wcxb.SPLITS
    sets = load_sets(quick, splits)
    pages = [page for group in sets.values() for page in group]
    dumps = {page.name: visible_text(page.html) for page in pages}
    raw = fresh_folder(work / "extraction" / "raw")
    write_raw(pages, dumps, raw)
    systems, notes = copydesk_outputs(pages, raw, work / "extraction")
    html = {page.name: page.html for page in pages}
    for name, run in baselines.HTML_SYSTEMS.items():
        systems[name] = baselines.cached_outputs(name, run, html)
    for name, run in baselines.DUMP_SYSTEMS.items():
        systems[name] = baselines.cached_outputs(name, run, dumps)
    rows, policy_lines, same_policy_lines = [], [], []
    for set_name, group in sets.items():
        comments, policy_row = GOLD_COMMENTS[set_name]
        for split in splits:
            chosen = [page for page in group if page.split == split]
            scores = {name: score_row(outputs, chosen) for name, outputs in systems.items()}
            for name, score in scores.items():
                said = verdict(name, scores) if name in COPYDESK else ""
                said += " ◀ the gold's comment policy" if name == policy_row else ""
                rows.append([set_name, split, len(chosen), name, *(f"{value:.3f}" for value in score), said])
            policy_lines.append(
                f"  {set_name} {split} (gold: comments {comments}; {policy_row}): {verdict(policy_row, scores)}"
            )
            same_policy_lines.append(same_policy_line(set_name, split, scores))
    print(
        f"PART A  extraction: {len(sets['CleanEval'])} CleanEval and {len(sets['WCXB'])} WCXB pages, split by a "
        "hash of the page name (tune / held-apart)\n"
        "shingle: bags of lowercased word 4-shingles, micro-averaged; word: bags of lowercased words, "
        "macro-averaged (WCXB's metric); copydesk's HTML rows are judged against the HTML baselines, copydesk-dump "
        "against the dump ones (c4-filter, justext-dump), on both F1s\n"
        "readers' comments: CleanEval's gold counts them as content (page 57's gold holds its thread of 22 "
        'comments), WCXB\'s does not (18 of its ground truths list comment-section lines, "Leave a comment", '
        '"124 Comments", among the snippets the text must not hold); the data\'s README says neither (the sets '
        "have no README of their own); nothing on a page tells the two kinds of gold apart, so it is a corpus "
        "policy: copydesk-html leaves comments out (the default, for a news corpus), copydesk-html-comments is the "
        "same with [html] include_comments = true; ◀ marks the row under the gold's policy\n"
    )
    headers = ["set", "split", "pages", "system", "shingle P", "R", "F1", "word P", "R", "F1", ""]
    print(format_table(headers, rows, "llrlrrrrrrl"))
    print("\ncopydesk's HTML path under each gold's comment policy, against every HTML baseline (shingle and word F1)")
    print("\n".join(policy_lines))
    print("\ncopydesk's HTML path against bare trafilatura under the same comment policy (shingle and word F1)")
    print("\n".join(same_policy_lines))
    for note in notes:
        print(f"  rejected by copydesk: {note}")
    if tune_only:
        print(f"\ntune pages where copydesk's shingle F1 trails a baseline of its kind by more than {TRAILING_BY}\n")
        print(format_table(["page", "system", "F1", "best baseline", "F1"], trailing_pages(systems, pages), "llrlr"))
        return
    part_c(pages[:SPEED_PAGES])


# Part C: speed


def part_c(pages: list[wcxb.Page]) -> None:
    """Time copydesk's HTML path and bare trafilatura on the same pages, page by page in turn."""
    timings = {"trafilatura.extract": 0.0, "copydesk extract_html": 0.0}
    for page in pages:
        started = time.perf_counter()
        baselines.trafilatura_default(page.html)
        middle = time.perf_counter()
        try:
            extract_html(page.html)
        except InputError:
            pass
        timings["trafilatura.extract"] += middle - started
        timings["copydesk extract_html"] += time.perf_counter() - middle
    rows = [[name, f"{len(pages) / seconds:.1f}", f"{seconds:.1f}"] for name, seconds in timings.items()]
    ratio = timings["copydesk extract_html"] / timings["trafilatura.extract"]
    print(f"\nPART C  speed on the same {len(pages)} pages, timed side by side in one run\n")
    print(format_table(["system", "pages/s", "seconds"], rows, "lrr"))
    print(f"copydesk's HTML path takes {ratio:.2f}x bare trafilatura's time (target ≤ 1.5x)")


# Part B: injected junk


def explain_loss(passage: str, removals: list[dict], corrections: list[dict], rejection: str | None) -> str:
    """Why copydesk lost a passage: its rejection, a spelling change, the removed line it starts with, or unknown."""
    if rejection:
        return f"rejected: {rejection}"
    lost = junk_score.words(passage)
    for correction in corrections:
        if junk_score.words(correction["original"]) == lost:
            return f"{correction['rule']} ({correction['original']} → {correction['corrected']})"
    head, joined = " ".join(lost[:6]), " ".join(lost) + " "
    for removal in removals:
        removed = " ".join(junk_score.words(removal["text"]))
        if removed and (head in removed or joined.startswith(removed + " ")):
            return removal["reason"]
    return "not in removed.parquet"


def rows_by_doc(out: Path, name: str, columns: list[str]) -> dict[str, list[dict]]:
    """Rows of one of copydesk's per-article logs, grouped by doc_id."""
    grouped: dict[str, list[dict]] = defaultdict(list)
    for row in read_table(out, name, ["doc_id", *columns]):
        grouped[row["doc_id"]].append(row)
    return grouped


def junk_summary(results: list[junk_score.PageResult], rejected: int, titles: int) -> None:
    """Print the two headline figures against their targets."""
    injected = sum(result.junk_lines for result in results)
    survived = sum(len(result.survivors) for result in results)
    total = sum(result.article_words for result in results)
    kept = sum(result.kept_words for result in results)
    removed_share, kept_share = 1 - survived / injected, kept / total
    rows = [
        [
            "injected junk lines removed",
            f"{injected - survived:,} / {injected:,}",
            pct(removed_share, 2),
            f"≥ {pct(JUNK_TARGET, 1)}",
            "PASS" if removed_share >= JUNK_TARGET else "FAIL",
        ],
        [
            "article words kept (bag of words)",
            f"{kept:,} / {total:,}",
            pct(kept_share, 2),
            f"≥ {pct(WORDS_TARGET, 1)}",
            "PASS" if kept_share >= WORDS_TARGET else "FAIL",
        ],
        ["articles rejected", f"{rejected} / {len(results)}", pct(rejected / len(results), 1), "", ""],
        ["BBC title lifted into `title`", f"{titles} / {len(results)}", pct(titles / len(results), 1), "", ""],
    ]
    print(format_table(["measure", "count", "value", "target", ""], rows, "lrrll"))


def kind_table(results: list[junk_score.PageResult]) -> None:
    """Print junk removal per kind of junk, worst first."""
    injected: Counter[str] = Counter()
    survived: Counter[str] = Counter()
    for result in results:
        injected.update(line.kind for line in result.page.lines if line.role == "junk")
        survived.update(line.kind for line in result.survivors)
    kinds = sorted(injected, key=lambda kind: (-survived[kind] / injected[kind], kind))
    rows = [[kind, injected[kind], survived[kind], pct(1 - survived[kind] / injected[kind])] for kind in kinds]
    print(format_table(["junk kind", "injected", "survived", "removed"], rows, "lrrr"))


def site_table(results: list[junk_score.PageResult], rejected_paths: set[str]) -> None:
    """Print junk removal and article words kept per site."""
    by_site: dict[str, list[junk_score.PageResult]] = defaultdict(list)
    for result in results:
        by_site[result.page.site].append(result)
    rows = []
    for site, group in by_site.items():
        injected = sum(result.junk_lines for result in group)
        survived = sum(len(result.survivors) for result in group)
        words = sum(result.article_words for result in group)
        rejected = sum(result.page.path in rejected_paths for result in group)
        rows.append(
            [
                site,
                len(group),
                rejected,
                pct(1 - survived / injected),
                pct(sum(result.kept_words for result in group) / words, 2),
            ]
        )
    print(format_table(["site", "articles", "rejected", "junk removed", "words kept"], rows, "lrrrr"))


def survivors_table(results: list[junk_score.PageResult]) -> None:
    """Print the most frequent surviving junk lines, grouped by the site's template that made them."""
    counts: Counter[tuple[str, str, str]] = Counter()
    examples: dict[tuple[str, str, str], str] = {}
    for result in results:
        for line in result.survivors:
            key = (result.page.site, line.kind, line.template)
            counts[key] += 1
            examples.setdefault(key, line.text)
    rows = []
    for (site, kind, template), count in counts.most_common(SURVIVORS_SHOWN):
        example = examples[(site, kind, template)]
        rows.append([count, site, kind, shorten(template, 45), "" if example == template else shorten(example, 70)])
    headers = ["count", "site", "kind", "junk line (template)", "example"]
    print(format_table(headers, rows, "rllll") if rows else "  (none)")


def losses_tables(
    results: list[junk_score.PageResult], out: Path, texts: dict[str, dict], rejected: dict[str, str]
) -> None:
    """Print the largest runs of article words missing from copydesk's text, and lost words by reason."""
    removals = rows_by_doc(out, "removed.parquet", ["text", "reason"])
    corrections = rows_by_doc(out, "corrections.parquet", ["original", "corrected", "rule"])
    losses = []
    for result in results:
        path = result.page.path
        doc_id = texts[path]["doc_id"] if path in texts else ""
        for passage in result.lost_passages:
            reason = explain_loss(passage, removals[doc_id], corrections[doc_id], rejected.get(path))
            losses.append((len(junk_score.words(passage)), path, reason, passage))
    losses.sort(key=lambda loss: (-loss[0], loss[1]))
    rows = [
        [size, path, shorten(reason, 40), shorten(passage, 80)] for size, path, reason, passage in losses[:LOSSES_SHOWN]
    ]
    headers = ["words", "page", "copydesk's reason", "lost article passage"]
    print(format_table(headers, rows, "rlll") if rows else "  (none)")
    by_reason: dict[str, list[int]] = defaultdict(list)
    for size, _, reason, _ in losses:
        by_reason[reason.split(" (")[0]].append(size)
    ranked = sorted(by_reason.items(), key=lambda item: (-sum(item[1]), item[0]))
    rows = [[reason, len(sizes), sum(sizes)] for reason, sizes in ranked]
    print("\nLost article words (aligned) by copydesk's reason\n")
    print(format_table(["reason", "passages", "words"], rows, "lrr") if rows else "  (none)")


def title_lifted(page: junk_sites.Page, texts: dict[str, dict]) -> bool:
    """Whether copydesk's title for the page is the article's title."""
    title = texts.get(page.path, {}).get("title") or ""
    return junk_score.normalise(title) == junk_score.normalise(page.article.title)


def part_b(work: Path, quick: bool) -> None:
    """Build the junk sites, run copydesk on them and print the tables."""
    articles = junk_sites.load_articles(BBC)
    pages = junk_sites.build_pages(articles, QUICK_ARTICLES if quick else ARTICLES, SEED)
    raw, out = fresh_folder(work / "junk" / "raw"), work / "junk" / "clean"
    junk_sites.write_pages(pages, raw, work / "junk" / "injected.jsonl")
    run_copydesk(raw, out, "bench_clean")
    texts, rejected = cleaned_texts(out), rejections(out)
    results = [junk_score.score_page(page, texts[page.path]["text"] if page.path in texts else "") for page in pages]
    titles = sum(title_lifted(page, texts) for page in pages)
    print(
        f"\nPART B  injected junk: {len(pages)} BBC articles on {len(junk_sites.SITES)} fake sites "
        "(every line recorded in junk/injected.jsonl in the work folder)\n"
    )
    junk_summary(results, sum(page.path in rejected for page in pages), titles)
    print()
    kind_table(results)
    print()
    site_table(results, set(rejected))
    print(f"\nThe {SURVIVORS_SHOWN} most frequent surviving junk lines\n")
    survivors_table(results)
    print(f"\nThe {LOSSES_SHOWN} largest lost article passages\n")
    losses_tables(results, out, texts, rejected)


def main(argv: Sequence[str] | None = None) -> int:
    """Run both parts in the work folder."""
    arguments = parse_args(argv)
    require_data()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench_clean-") as temporary:
        work = arguments.out.resolve() if arguments.out else Path(temporary)
        part_a(work, arguments.quick, arguments.tune_only)
        if not arguments.tune_only:
            part_b(work, arguments.quick)
    print(
        f"\nbench_clean: finished in {time.monotonic() - started:.0f}s (work folder: "
        f"{work if arguments.out else 'temporary, removed'})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
