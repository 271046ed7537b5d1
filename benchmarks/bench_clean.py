"""Benchmark copydesk's cleaning through its command line.

Part A scores text extraction on CleanEval (word 4-shingle precision, recall and F1 against the hand-cleaned
text) for copydesk on the HTML pages and on naive text dumps of them, beside three baselines.
Part B wraps BBC articles in the junk of fake news sites and measures how much junk copydesk removes and
how much article text it keeps, listing the junk that survives and the text that is lost.

    .venv/bin/python benchmarks/bench_clean.py [--quick] [--out DIR]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path

import cleaneval
import junk_score
import junk_sites
import trafilatura
from harness import format_table, fresh_folder, read_table, run_copydesk

PROJECT = Path(__file__).resolve().parent.parent
DATA = PROJECT.parent / "shared" / "data"
CLEANEVAL = DATA / "cleaneval-dev"
BBC = DATA / "bbc-news-2004.jsonl.gz"
SEED = 2005
ARTICLES, QUICK_ARTICLES = 300, 60
QUICK_PAGES = 15
DUMP_TARGET, HTML_TARGET = 0.90, 0.88
JUNK_TARGET, WORDS_TARGET = 0.98, 0.995
SURVIVORS_SHOWN, LOSSES_SHOWN = 15, 10


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a small sample (smoke test)")
    parser.add_argument("--out", type=Path, help="work folder kept after the run (default: a temporary folder)")
    return parser.parse_args(argv)


def require_data() -> None:
    """Exit with a clear message when the shared development data is not there."""
    missing = [str(path) for path in (CLEANEVAL / "input", CLEANEVAL / "GoldStandard", BBC) if not path.exists()]
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


# Part A: CleanEval


def write_cleaneval_raw(pages: list[cleaneval.Page], dumps: dict[int, str], raw: Path) -> None:
    """Write each page as raw/html/N.html and its text dump as raw/dump/N.txt."""
    for folder in ("html", "dump"):
        (raw / folder).mkdir(parents=True)
    for page in pages:
        (raw / "html" / f"{page.number}.html").write_text(page.html, encoding="utf-8")
        (raw / "dump" / f"{page.number}.txt").write_text(dumps[page.number] + "\n", encoding="utf-8")


def copydesk_outputs(
    pages: list[cleaneval.Page], out: Path, folder: str, suffix: str
) -> tuple[dict[int, str], list[str]]:
    """copydesk's text per page of one raw subfolder (empty when rejected), and the rejection notes."""
    texts, rejected = cleaned_texts(out), rejections(out)
    outputs, notes = {}, []
    for page in pages:
        path = f"{folder}/{page.number}{suffix}"
        outputs[page.number] = texts[path]["text"] if path in texts else ""
        if path in rejected:
            notes.append(f"{path}: {rejected[path]}")
    return outputs, notes


def part_a(work: Path, quick: bool) -> None:
    """Score the baselines and copydesk on CleanEval and print the table."""
    pages = cleaneval.load_pages(CLEANEVAL, QUICK_PAGES if quick else None)
    dumps = {page.number: cleaneval.text_dump(page.html) for page in pages}
    raw, out = fresh_folder(work / "cleaneval" / "raw"), work / "cleaneval" / "clean"
    write_cleaneval_raw(pages, dumps, raw)
    run_copydesk(raw, out, "bench_clean")
    html_outputs, html_notes = copydesk_outputs(pages, out, "html", ".html")
    dump_outputs, dump_notes = copydesk_outputs(pages, out, "dump", ".txt")
    systems = {
        "dump": dumps,
        "c4-filter": {number: cleaneval.c4_filter(text) for number, text in dumps.items()},
        "trafilatura": {page.number: trafilatura.extract(page.html) or "" for page in pages},
        "copydesk-html": html_outputs,
        "copydesk-dump": dump_outputs,
    }
    scores = {
        name: cleaneval.aggregate([cleaneval.score_page(outputs[page.number], page.gold) for page in pages])
        for name, outputs in systems.items()
    }
    best_baseline = max(scores[name].f1 for name in ("dump", "c4-filter", "trafilatura"))
    targets = {"copydesk-html": HTML_TARGET, "copydesk-dump": DUMP_TARGET}
    rows = []
    for name, score in scores.items():
        empty = sum(not systems[name][page.number].strip() for page in pages)
        target, verdict = "", ""
        if name in targets:
            target = f"≥ {targets[name]:.2f} & > {best_baseline:.3f}"
            verdict = "PASS" if score.f1 >= targets[name] and score.f1 > best_baseline else "FAIL"
        rows.append(
            [
                name,
                f"{score.precision:.3f}",
                f"{score.recall:.3f}",
                f"{score.f1:.3f}",
                f"{score.macro_f1:.3f}",
                empty,
                target,
                verdict,
            ]
        )
    print(f"PART A  CleanEval dev: {len(pages)} pages, bags of lowercased word 4-shingles, micro-averaged\n")
    print(format_table(["system", "P", "R", "F1", "macro F1", "rejected/empty", "target F1", ""], rows, "lrrrrrll"))
    for note in html_notes + dump_notes:
        print(f"  rejected by copydesk: {note}")


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
        part_a(work, arguments.quick)
        part_b(work, arguments.quick)
    print(
        f"\nbench_clean: finished in {time.monotonic() - started:.0f}s (work folder: "
        f"{work if arguments.out else 'temporary, removed'})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
