"""`copydesk review`: record a maintainer's decision in the overrides file, so that every later run respects it.

Paragraphs are named by their id in the outputs (`<doc_id>-<para_idx>`, as report.html and
paragraphs.parquet show them) or by fingerprint, removed lines by fingerprint (report.html shows it) or
text; decisions are stored by fingerprint, so they outlive this run's ids. The decision takes effect at
the next `copydesk run`, which reads no input again for it.
"""

from __future__ import annotations

import argparse
import fcntl
import getpass
import os
import shlex
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from flows.outputs.manifest import read_manifest
from flows.review.overrides import OVERRIDES_NAME, Override, OverridesError, read_overrides, write_overrides

if TYPE_CHECKING:  # the outputs' tables load pandas and the spelling code: not for `copydesk run`, which parses these
    from flows.review.targets import PublishedOutputs

SERVE_PORT = 8765
ACTIONS = {
    "split": "these two paragraphs are not duplicates: never put them in one cluster",
    "merge": "these two paragraphs are duplicates: always put them in one cluster",
    "prefer": "make this paragraph, from its source, the canonical copy of its cluster",
    "keep-line": "keep a removed line (or every line a --pattern matches) in the text",
    "reject-correction": "the word is right as written: never correct it",
    "accept-correction": "correct WORD to REPLACEMENT everywhere",
    "list": "show the decisions and whether the last run applied them",
    "drop": "remove a decision by its id",
    "serve": "browse every cluster, removed line and correction of OUT_DIR on a local page",
}


def review_command(out_dir: Path, action: str, *arguments: str, file: str = "") -> str:
    """The exact `copydesk review` command line for an action on OUT_DIR, quoted for a POSIX shell; `file` is the
    overrides file when it is not OUT_DIR's own."""
    words = ["copydesk", "review", action, *arguments, "--out", str(out_dir)]
    if file and Path(file).resolve() != (out_dir / OVERRIDES_NAME).resolve():
        words += ["--file", str(Path(file).resolve())]
    return shlex.join(words)


def add_review_parser(commands: argparse._SubParsersAction) -> None:
    """Add `review` and its actions to the command line."""
    review = commands.add_parser(
        "review",
        help="record a maintainer's decision that every later run applies",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = review.add_subparsers(dest="action", required=True, metavar="ACTION")
    where = argparse.ArgumentParser(add_help=False)
    where.add_argument(
        "--out", metavar="OUT_DIR", type=Path, default=Path("clean"), help="output folder (default: clean)"
    )
    where.add_argument(
        "--file", metavar="PATH", type=Path, help="overrides file (default: OUT_DIR/overrides.toml), e.g. the repo's"
    )
    who = argparse.ArgumentParser(add_help=False)
    who.add_argument("--note", default="", help="why, in a few words")
    who.add_argument("--by", default=_user(), help="who decided (default: the login name)")
    for action, summary in ACTIONS.items():
        parents = [] if action == "serve" else [where] if action in ("list", "drop") else [where, who]
        parser = actions.add_parser(action, parents=parents, help=summary, description=summary)
        if action in ("split", "merge"):
            parser.add_argument("paragraphs", nargs=2, metavar="PARAGRAPH", help="paragraph id or fingerprint")
        elif action == "prefer":
            parser.add_argument("paragraph", metavar="PARAGRAPH", help="paragraph id (DOC_ID-PARA_IDX)")
        elif action == "keep-line":
            line = parser.add_mutually_exclusive_group(required=True)
            line.add_argument("line", nargs="?", metavar="LINE", help="the removed line's fingerprint or text")
            line.add_argument("--pattern", metavar="REGEX", help="keep every line this Python regex finds")
        elif action in ("reject-correction", "accept-correction"):
            parser.add_argument("word", metavar="WORD")
            if action == "accept-correction":
                parser.add_argument("replacement", metavar="REPLACEMENT")
        elif action == "drop":
            parser.add_argument("id", metavar="ID", help="the decision's id (copydesk review list shows them)")
        elif action == "serve":
            parser.add_argument("out", metavar="OUT_DIR", type=Path, help="output folder of a run")
            parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
            parser.add_argument(
                "--port", type=int, default=SERVE_PORT, help=f"port (default: {SERVE_PORT}; 0 for any free one)"
            )


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


@contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on the folder of the overrides file while it is read, changed and written."""
    folder.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def _decision(arguments: argparse.Namespace, outputs: PublishedOutputs) -> Override:
    """The decision a recording action names, resolved against the outputs."""
    from flows.review.targets import (
        correction_decision,
        keep_line_decision,
        keep_pattern_decision,
        pair_decision,
        prefer_decision,
    )

    at = datetime.now(UTC).isoformat(timespec="seconds")
    who = (arguments.by, at, arguments.note)
    if arguments.action in ("split", "merge"):
        return pair_decision(arguments.action, outputs, arguments.paragraphs, *who)
    if arguments.action == "prefer":
        return prefer_decision(outputs, arguments.paragraph, *who)
    if arguments.action == "keep-line":
        if arguments.pattern is not None:
            return keep_pattern_decision(outputs, arguments.pattern, *who)
        return keep_line_decision(outputs, arguments.line, *who)
    return correction_decision(outputs, arguments.word, getattr(arguments, "replacement", None), *who)


def _rival_prefers(
    arguments: argparse.Namespace, outputs: PublishedOutputs, decision: Override, decisions: list[Override]
) -> list[Override]:
    """Earlier canonical choices in the cluster of a newly preferred paragraph."""
    if decision.kind != "prefer":
        return []
    cluster = outputs.cluster_fingerprints(outputs.paragraph(arguments.paragraph).cluster_id)
    return [old for old in decisions if old.kind == "prefer" and old.target[0] in cluster and old.id != decision.id]


def describe(decision: Override) -> str:
    """One line about a decision: id, kind, what it makes runs do, and its excerpts."""
    shown = " | ".join(decision.excerpts) or " ".join(decision.target)
    return f"{decision.id:<28} {decision.kind.replace('_', ' ')} ({decision.effect}): {shown}"


def _list(path: Path, out_dir: Path) -> int:
    """Print every decision of the file with what the last run of OUT_DIR did with it."""
    decisions = read_overrides(path)
    last = (read_manifest(out_dir) or {}).get("overrides", {})
    status = {key: state for state in ("applied", "unmatched") for key in last.get(state, ())}
    for decision in decisions:
        print(f"{status.get(decision.id, 'new'):<9} {describe(decision)}")
    if not decisions:
        print(f"no decisions in {path}")
    return 0


def _serve(arguments: argparse.Namespace) -> int:
    """Serve the review page of OUT_DIR until interrupted."""
    from flows.review.server import serve
    from flows.review.tables import ReviewTablesError

    try:
        return serve(arguments.out, arguments.host, arguments.port)
    except (ReviewTablesError, OSError) as error:
        print(f"copydesk review serve: {error}", file=sys.stderr)
        return 2


def run_review(arguments: argparse.Namespace) -> int:
    """Carry out a review action; 2 when it names nothing it can act on."""
    if arguments.action == "serve":
        return _serve(arguments)
    path = arguments.file or arguments.out / OVERRIDES_NAME
    try:
        if arguments.action == "list":
            return _list(path, arguments.out)
        with _folder_lock(path.parent):
            decisions = read_overrides(path)
            if arguments.action == "drop":
                kept = [decision for decision in decisions if decision.id != arguments.id]
                if len(kept) == len(decisions):
                    raise OverridesError(f"no decision {arguments.id} in {path}")
                write_overrides(path, kept)
                print(f"dropped {arguments.id} from {path}")
                return 0
            from flows.review.targets import PublishedOutputs

            outputs = PublishedOutputs(arguments.out)
            decision = _decision(arguments, outputs)
            if decision.id in {old.id for old in decisions}:
                print(f"already recorded: {describe(decision)}")
                return 0
            rivals = _rival_prefers(arguments, outputs, decision, decisions)
            replaced = [old for old in decisions if old.subject == decision.subject or old in rivals]
            write_overrides(path, [old for old in decisions if old not in replaced] + [decision])
    except OverridesError as error:
        print(f"copydesk review: {error}", file=sys.stderr)
        return 2
    print(f"recorded {describe(decision)}\n  in {path}")
    for old in replaced:
        print(f"  replacing {describe(old)}")
    if decision.kind in ("reject_correction", "keep_pattern") and not decision.excerpts:
        print("  note: it names nothing in the current outputs yet; runs list it as unmatched until it does")
    raw_dir = (read_manifest(arguments.out) or {}).get("raw_dir", "RAW_DIR")
    print(f"  the next run applies it: copydesk run {shlex.quote(raw_dir)} --out {shlex.quote(str(arguments.out))}")
    return 0
