"""The `copydesk` command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from flows import __version__
from flows.escape import one_line
from flows.review.commands import add_review_parser, run_review
from flows.runtime.console import add_output_options, configure_output
from flows.runtime.exits import end_without_teardown

if TYPE_CHECKING:
    from flows.config import Config
    from flows.outputs.summary import InputsSeen, RunSummary
    from flows.runtime.api_server import LaunchedServer

DESCRIPTION = """Turn scraped news articles into a clean, deduplicated corpus.

Reads every *.txt, *.html/*.htm and *.jsonl file under RAW_DIR (and .gz of each), and
every HTML page in crawlers' *.warc archives (the latest capture of each URL),
cleans each article (unicode, whitespace, junk lines, metadata, corpus-aware spelling),
clusters near-duplicate paragraphs across articles, and writes the corpus
(corpus/*.jsonl.gz, corpus.parquet/*.parquet; corpus.jsonl until schema 5),
articles.parquet, paragraphs.parquet, corrections.parquet, removed.parquet,
rejected.parquet, report.html and manifest.json into OUT_DIR.

Runs as a Prefect flow; without PREFECT_API_URL set, Prefect runs embedded (no server needed,
none started when OUT_DIR is already up to date). Prints a progress line per stage and a
summary; Prefect's own log lines only with --verbose, nothing but errors with --quiet."""


def positive_int(text: str) -> int:
    """An argument that must be a whole number of at least 1."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {text!r}")
    return int(text)


class OneLineErrorParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line on stderr (exit status 2), pointing at --help."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, with one sub-command per job."""
    parser = OneLineErrorParser(
        prog="copydesk", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"copydesk {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser(
        "run",
        help="clean and deduplicate RAW_DIR into OUT_DIR",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("raw_dir", metavar="RAW_DIR", type=Path, help="folder of scraped articles (read recursively)")
    run.add_argument(
        "--out", metavar="OUT_DIR", type=Path, default=Path("clean"), help="output folder (default: clean)"
    )
    run.add_argument(
        "--config",
        metavar="PATH",
        type=Path,
        default=None,
        help="config file laid over the project's defaults (default: ./copydesk.toml, if there is one)",
    )
    run.add_argument(
        "--batch-size", metavar="N", type=positive_int, default=1000, help="articles per Prefect task (default: 1000)"
    )
    run.add_argument("--force", action="store_true", help="rebuild even if OUT_DIR is up to date")
    run.add_argument(
        "--wait",
        metavar="SECONDS",
        type=float,
        default=0.0,
        help="if another run is writing OUT_DIR, wait this long for it (default: exit at once with status 3)",
    )
    dask = run.add_mutually_exclusive_group()
    dask.add_argument(
        "--workers",
        metavar="N",
        type=positive_int,
        help="run the batched tasks in N worker processes on this machine (default: one a core, no more than the batches of inputs; 1: in copydesk's own process)",
    )
    dask.add_argument(
        "--dask-address",
        metavar="ADDRESS",
        help="run the batched tasks on the Dask scheduler at ADDRESS (tcp://HOST:PORT); workers need copydesk installed",
    )
    dask.add_argument(
        "--dask-workers",
        metavar="N",
        type=positive_int,
        help="run the batched tasks on a local Dask cluster of N worker processes started for the run",
    )
    run.add_argument(
        "--redis-url",
        metavar="URL",
        help="hold the dedup LSH indexes in Redis at URL (redis://HOST:PORT/DB), over the config's [scale] redis_url",
    )
    run.add_argument(
        "--overrides",
        metavar="PATH",
        type=Path,
        default=None,
        help="maintainers' decisions to apply besides OUT_DIR/overrides.toml (see `copydesk review --help`)",
    )
    add_output_options(run)
    add_review_parser(commands)
    return parser


def format_summary(summary, out_dir: Path) -> str:
    """The closing lines of a run."""
    if summary.up_to_date:
        head = f"copydesk: {out_dir} is already up to date (nothing new); previous run:"
    else:
        head = f"copydesk: wrote {out_dir} in {summary.seconds:.1f}s"
    return "\n".join(
        [
            head,
            f"  articles      {summary.articles:>8,}  ({summary.duplicate_articles:,} wholly copies of another)",
            (
                f"  paragraphs    {summary.paragraphs:>8,}  "
                f"({summary.duplicate_paragraphs:,} duplicates in {summary.clusters:,} clusters, "
                f"{summary.contained_paragraphs:,} inside another paragraph)"
            ),
            f"  removals      {summary.removals:>8,}  (removed.parquet)",
            f"  corrections   {summary.corrections:>8,}  (corrections.parquet)",
            f"  rejections    {summary.rejections:>8,}  (rejected.parquet)",
            *corpus_lines(summary),
            *crawl_lines(summary),
            *overrides_lines(summary),
            f"  report        {out_dir / 'report.html'}",
        ]
    )


def crawl_lines(summary) -> list[str]:
    """Closing lines for WARC input, when there was any: earlier captures kept as versions, records skipped."""
    lines = []
    if summary.versions:
        lines.append(f"  versions      {summary.versions:>8,}  (earlier captures, versions.parquet)")
    if summary.skipped:
        reasons = ", ".join(f"{count:,} {reason}" for reason, count in summary.skip_reasons.items())
        lines.append(f"  skipped       {summary.skipped:>8,}  (WARC records: {reasons})")
    return lines


def overrides_lines(summary) -> list[str]:
    """The summary line of maintainers' decisions, when there are any."""
    if not (summary.overrides_applied or summary.overrides_unmatched):
        return []
    applied, unmatched = summary.overrides_applied, summary.overrides_unmatched
    return [f"  overrides     {applied:>8,}  applied ({unmatched:,} matched nothing: copydesk review list)"]


def print_summary(summary, arguments: argparse.Namespace) -> None:
    """The closing lines, unless --quiet."""
    if not arguments.quiet:
        print(format_summary(summary, arguments.out))


def corpus_lines(summary) -> list[str]:
    """The corpus's closing line: documents kept, and those [corpus] min_words or min_kept_share dropped."""
    dropped = f", {summary.corpus_dropped:,} dropped by [corpus] limits" if summary.corpus_dropped else ""
    return [f"  corpus        {summary.corpus_documents:>8,}  documents (corpus/, corpus.parquet/{dropped})"]


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `copydesk` console script. Without `argv` (the process's own command line) the process
    ends with the command's exit status once its exit handlers ran, without tearing down its heap (seconds after
    a large run); given `argv` (tests, a caller in Python), it returns the status."""
    status = command_status(argv)
    if argv is None:
        end_without_teardown(status)
    return status


def command_status(argv: list[str] | None) -> int:
    """Run the command `argv` names (None: the process's command line) and return its exit status."""
    arguments = build_parser().parse_args(argv)
    if arguments.command == "review":
        return run_review(arguments)
    if not arguments.raw_dir.is_dir():
        print(f"copydesk: RAW_DIR {one_line(arguments.raw_dir)} is not a folder", file=sys.stderr)
        return 2
    configure_output(arguments)
    from flows.runtime.collector import collector_off
    from flows.runtime.exits import exit_status_of

    with collector_off():  # until the flow starts (`run_heap_frozen`)
        return exit_status_of(lambda: run_command(arguments))


def run_command(arguments: argparse.Namespace) -> int:
    """`copydesk run`: check the config, overrides and OUT_DIR (before loading the flow, which takes seconds),
    then run the flow and print its summary."""
    from flows.config import load_config, with_redis_url
    from flows.review.overrides import load_overrides, override_paths

    config = with_redis_url(load_config(arguments.config), arguments.redis_url)
    from flows.outputs.manifest import read_manifest
    from flows.outputs.summary import inputs_seen, up_to_date_summary
    from flows.runtime.api_server import launch_api_server
    from flows.runtime.lock import check_out_dir

    overrides = load_overrides(override_paths(arguments.out, config, arguments.overrides))
    previous = read_manifest(arguments.out)
    surely_work = arguments.force or previous is None
    if surely_work:  # OUT_DIR checked before any work; else once RAW_DIR shows there is some
        check_out_dir(arguments.out, arguments.wait)
    # Prefect's temporary server starts while RAW_DIR is looked at (seconds at a million inputs) and the flow loads;
    # a folder found up to date stops it unused, and is answered without loading Prefect.
    launched = launch_api_server()
    seen = inputs_seen(arguments.raw_dir, arguments.out, config)
    if not surely_work:
        if summary := up_to_date_summary(previous, seen, overrides.sha256, 0.0):
            if launched is not None:
                launched.stop()
            print_summary(summary, arguments)
            return 0
        check_out_dir(arguments.out, arguments.wait)
    from flows.outputs.publish import CURRENT
    from flows.state.folder import state_problem, state_read_ahead

    # The previous run's state is read while the flow loads and the server starts, when the run will use it.
    reused = None if arguments.force or state_problem(previous, config.sha256) else arguments.out / CURRENT
    with state_read_ahead(reused):
        summary = run_flow(arguments, config, seen, launched)
    print_summary(summary, arguments)
    return 0


def run_flow(
    arguments: argparse.Namespace, config: Config, seen: InputsSeen, launched: LaunchedServer | None
) -> RunSummary:
    """Run the flow over `arguments.raw_dir` on its task runner, once the `launched` server answers, taking the
    inputs the command `seen`; return its summary."""
    from flows.pipeline import copydesk_run, inputs_seen_by_command
    from flows.runtime.api_server import use_api_server
    from flows.runtime.collector import run_heap_frozen
    from flows.runtime.exits import quiet_console_tracebacks
    from flows.runtime.task_runner import (
        dask_task_runner,
        default_workers,
        local_task_runner,
        task_runner_from_environment,
    )

    runner = dask_task_runner(arguments.dask_address, arguments.dask_workers)
    if arguments.workers:
        runner = local_task_runner(arguments.workers)
    elif not runner:  # the environment's, else a worker process a core
        runner = task_runner_from_environment(default_workers(len(seen.inputs), arguments.batch_size))
    run = copydesk_run.with_options(task_runner=runner)
    quiet_console_tracebacks()
    use_api_server(launched)
    # The flow takes the inputs seen above, unless waiting for another run may leave RAW_DIR changed by then.
    with (
        inputs_seen_by_command(arguments.raw_dir, arguments.out, config, None if arguments.wait else seen),
        run_heap_frozen(),
    ):
        return run(
            raw_dir=str(arguments.raw_dir),
            out_dir=str(arguments.out),
            config_path=str(arguments.config) if arguments.config else None,
            batch_size=arguments.batch_size,
            force=arguments.force,
            wait_seconds=arguments.wait,
            redis_url=arguments.redis_url,
            overrides_path=str(arguments.overrides) if arguments.overrides else None,
        )


if __name__ == "__main__":
    sys.exit(main())
