"""The overrides file: maintainers' decisions (`copydesk review ...`) that every run applies.

One TOML table per decision, under its kind ([[split]], [[merge]], [[prefer]], [[keep_line]],
[[keep_pattern]], [[reject_correction]], [[accept_correction]]): what it acts on (fingerprints of
paragraph or line text, a pattern, a word), excerpts for a person to read, and optionally who recorded
it, when and why. A decision's id derives from what it acts on, never from a run, so decisions survive
re-runs, incremental runs and rebuilds.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from cleaners.keep import KeptLines
from flows.config import Config
from flows.outputs.files import write_text

OVERRIDES_NAME = "overrides.toml"
HEADER = """\
# copydesk overrides: maintainers' decisions that every `copydesk run` applies (see `copydesk review --help`).
# One table per decision. Paragraphs and lines are named by fingerprints of their text (excerpts are for
# reading); remove a decision with `copydesk review drop ID`, or edit this file by hand.
"""
_OPTIONAL_KEYS = ("excerpts", "by", "at", "note")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


class OverridesError(ValueError):
    """An overrides file that cannot be read, or a decision that names nothing it can act on."""


@dataclass(frozen=True)
class Kind:
    """A kind of decision: its table name, the keys of what it acts on, what it makes every run do, and what it
    is about (`question`, answered by the first `subject` targets): a newer answer replaces an older one."""

    name: str
    targets: tuple[str, ...]
    effect: str
    question: str
    subject: int = 1
    unordered: bool = False


KINDS = {
    kind.name: kind
    for kind in (
        Kind("split", ("paragraph", "other"), "never in one cluster", "pair", 2, unordered=True),
        Kind("merge", ("paragraph", "other"), "always in one cluster", "pair", 2, unordered=True),
        Kind("prefer", ("paragraph", "source"), "canonical in its cluster", "canonical"),
        Kind("keep_line", ("line",), "never removed", "line"),
        Kind("keep_pattern", ("pattern",), "lines it matches never removed", "pattern"),
        Kind("reject_correction", ("word",), "never corrected", "word"),
        Kind("accept_correction", ("word", "replacement"), "corrected everywhere", "word"),
    )
}


@dataclass(frozen=True)
class Override:
    """One decision: its kind, what it acts on (`target`, in the kind's key order), excerpts, who, when, why,
    and the file it was read from."""

    kind: str
    target: tuple[str, ...]
    excerpts: tuple[str, ...] = ()
    by: str = ""
    at: str = ""
    note: str = ""
    file: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        kind = KINDS.get(self.kind)
        if kind is None:
            raise OverridesError(f"unknown kind of override [[{self.kind}]]; known: {', '.join(KINDS)}")
        if len(self.target) != len(kind.targets) or not all(isinstance(part, str) and part for part in self.target):
            raise OverridesError(f"[[{self.kind}]] needs {', '.join(kind.targets)}, each a non-empty string")
        if kind.unordered and self.target[0] > self.target[1]:  # one id for (a, b) and (b, a)
            object.__setattr__(self, "target", self.target[::-1])
            object.__setattr__(self, "excerpts", self.excerpts[::-1])
        if self.kind == "keep_pattern":
            try:
                re.compile(self.target[0])
            except re.error as error:
                raise OverridesError(f"[[keep_pattern]] {self.target[0]!r}: bad regex: {error}") from None

    @property
    def id(self) -> str:
        """A stable id: the kind and a short hash of what it acts on."""
        digest = hashlib.sha256("\x00".join((self.kind, *self.target)).encode()).hexdigest()
        return f"{self.kind.replace('_', '-')}-{digest[:8]}"

    @property
    def effect(self) -> str:
        """What the decision makes every run do, for people."""
        return KINDS[self.kind].effect

    @property
    def subject(self) -> tuple[str, ...]:
        """What the decision is about: a newer decision on the same subject replaces it."""
        kind = KINDS[self.kind]
        return (kind.question, *self.target[: kind.subject])


@dataclass(frozen=True)
class Overrides:
    """Every decision a run applies, from one or more files (the first of two equal decisions wins)."""

    decisions: tuple[Override, ...] = ()

    @property
    def sha256(self) -> str:
        """Hash of what the decisions act on ("" when there are none): a run whose hash changed is not up to date."""
        if not self.decisions:
            return ""
        return hashlib.sha256("\n".join(sorted(decision.id for decision in self.decisions)).encode()).hexdigest()

    def of_kind(self, kind: str) -> list[Override]:
        """The decisions of one kind."""
        return [decision for decision in self.decisions if decision.kind == kind]

    def kept_lines(self) -> KeptLines:
        """The lines keep-line and keep-pattern decisions keep."""
        return KeptLines(
            {decision.target[0]: decision.id for decision in self.of_kind("keep_line")},
            tuple((re.compile(decision.target[0]), decision.id) for decision in self.of_kind("keep_pattern")),
        )


NO_OVERRIDES = Overrides()


def source_label(source: str | None, site: str) -> str:
    """The source a prefer decision names for an article: its source field, else its site."""
    return source or site


def read_overrides(path: Path) -> list[Override]:
    """The decisions in one overrides file (none when it does not exist)."""
    try:
        tables = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise OverridesError(f"{path}: {error}") from None
    decisions = []
    for name, entries in tables.items():
        kind = KINDS.get(name)
        if kind is None or not isinstance(entries, list):
            raise OverridesError(f"{path}: [[{name}]] is no kind of override; known: {', '.join(KINDS)}")
        for entry in entries:
            unknown = set(entry) - {"id", *kind.targets, *_OPTIONAL_KEYS}
            if unknown:
                raise OverridesError(f"{path}: [[{name}]] has unknown keys {sorted(unknown)}")
            excerpts = entry.get("excerpts", [])
            notes = [entry.get(key, "") for key in ("by", "at", "note")]
            if not (isinstance(excerpts, list) and all(isinstance(text, str) for text in [*excerpts, *notes])):
                raise OverridesError(f"{path}: [[{name}]] excerpts must be a list of strings, by, at and note strings")
            try:
                decisions.append(
                    Override(
                        name,
                        tuple(entry.get(key) for key in kind.targets),
                        tuple(excerpts),
                        *notes,
                        file=str(path),
                    )
                )
            except OverridesError as error:
                raise OverridesError(f"{path}: {error}") from None
    return decisions


def load_overrides(paths: list[Path]) -> Overrides:
    """Every decision of these files, each once."""
    unique: dict[str, Override] = {}
    for path in paths:
        for decision in read_overrides(path):
            unique.setdefault(decision.id, decision)
    return Overrides(tuple(unique.values()))


def _toml_string(value: str) -> str:
    """A TOML string: literal ('...') when it can be, so patterns read as written, else basic with escapes."""
    if "'" not in value and not _CONTROL.search(value):
        return f"'{value}'"
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def render_overrides(decisions: list[Override]) -> str:
    """The overrides file's text: the header, then one table per decision, grouped by kind."""
    blocks = [HEADER]
    for kind in KINDS.values():
        for decision in (decision for decision in decisions if decision.kind == kind.name):
            lines = [f"[[{kind.name}]]", f"id = {_toml_string(decision.id)}"]
            lines += [f"{key} = {_toml_string(value)}" for key, value in zip(kind.targets, decision.target)]
            if decision.excerpts:
                lines.append(f"excerpts = [{', '.join(map(_toml_string, decision.excerpts))}]")
            notes = {"by": decision.by, "at": decision.at, "note": decision.note}
            lines += [f"{key} = {_toml_string(value)}" for key, value in notes.items() if value]
            blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


def write_overrides(path: Path, decisions: list[Override]) -> None:
    """Write the decisions to an overrides file, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text(render_overrides(decisions), path)


def override_paths(out_dir: Path, config: Config, extra: Path | None = None) -> list[Path]:
    """The files a run reads decisions from: OUT_DIR's own, the config's `[overrides] file` (relative to the
    config file) and the command line's --overrides; a file named but missing is an error."""
    section = config.raw.get("overrides", {})
    unknown = set(section) - {"file"}
    if unknown:
        raise OverridesError(f"[overrides] has unknown keys {sorted(unknown)}; known: ['file']")
    named = [Path(config.path).parent / section["file"] if "file" in section else None, extra]
    for path in filter(None, named):
        if not path.is_file():
            raise OverridesError(f"overrides file not found: {path}")
    return [out_dir / OVERRIDES_NAME, *filter(None, named)]


@dataclass(frozen=True)
class ReviewOutcome:
    """Which decisions a run applied (each found what it names) and which matched nothing."""

    applied: tuple[Override, ...] = ()
    unmatched: tuple[Override, ...] = ()


NOTHING_REVIEWED = ReviewOutcome()


def review_outcome(overrides: Overrides, applied_ids: set[str] | frozenset[str]) -> ReviewOutcome:
    """Sort the decisions by whether the run found what they name."""
    return ReviewOutcome(
        tuple(decision for decision in overrides.decisions if decision.id in applied_ids),
        tuple(decision for decision in overrides.decisions if decision.id not in applied_ids),
    )
