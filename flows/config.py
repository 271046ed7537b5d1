"""The config file (copydesk.toml), read once into typed settings that are passed down."""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cleaners.rules import (
    BodyRules,
    BoilerplateRules,
    CleaningRules,
    LineRule,
    MetadataRules,
    SectionRule,
    SpellingRules,
)
from dedup.settings import CanonicalPolicy, DedupSettings

DEFAULT_CONFIG_NAME = "copydesk.toml"


class ConfigError(ValueError):
    """The config file is missing, malformed, or names something copydesk does not know."""


@dataclass(frozen=True)
class InputSettings:
    """Limits on what is read from the raw folder."""

    max_file_bytes: int = 50_000_000
    min_article_words: int = 5


@dataclass(frozen=True)
class HtmlSettings:
    """How HTML pages become text: trafilatura's options, and when to fall back to the page's text dump."""

    include_comments: bool = False
    include_tables: bool = True
    favor_precision: bool = False
    favor_recall: bool = False
    dump_fallback_ratio: float = 0.5
    body: BodyRules = field(default_factory=BodyRules)


@dataclass(frozen=True)
class CorpusSettings:
    """Which canonical documents the corpus keeps, and how many documents go in each of its shards."""

    min_words: int = 0
    min_kept_share: float = 0.0
    documents_per_shard: int = 10_000

    def __post_init__(self) -> None:
        if self.documents_per_shard < 1:
            raise ValueError("[corpus] documents_per_shard must be at least 1")
        if not 0.0 <= self.min_kept_share <= 1.0:
            raise ValueError("[corpus] min_kept_share is a share of the article's words: between 0 and 1")


@dataclass(frozen=True)
class ScaleSettings:
    """Where work runs outside the flow process: `redis_url` holds the dedup LSH indexes in Redis."""

    redis_url: str | None = None


@dataclass(frozen=True)
class WarcSettings:
    """How pages read from WARC archives are attributed: a source name by host (a host not listed is its own)."""

    source_names: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not all(isinstance(name, str) for name in self.source_names.values()):
            raise ValueError("[warc] source_names maps hosts to names: every value must be a string")


@dataclass(frozen=True)
class Config:
    """Every setting of a run, with the raw table kept for the manifest."""

    cleaning: CleaningRules
    spelling: SpellingRules
    dedup: DedupSettings
    canonical: CanonicalPolicy
    input: InputSettings
    html: HtmlSettings
    warc: WarcSettings
    path: str
    raw: dict[str, Any]
    corpus: CorpusSettings = field(default_factory=CorpusSettings)

    @property
    def sha256(self) -> str:
        """Hash of the settings that shape the outputs, so a changed config means a new run; [scale] only
        says where the work runs."""
        shaping = {section: table for section, table in self.raw.items() if section != "scale"}
        return hashlib.sha256(json.dumps(shaping, sort_keys=True).encode()).hexdigest()


def with_redis_url(config: Config, redis_url: str | None) -> Config:
    """The config with its LSH indexes in Redis at `redis_url` (the command line's --redis-url), when given."""
    if not redis_url:
        return config
    try:
        return replace(config, dedup=replace(config.dedup, redis_url=redis_url))
    except ValueError as error:
        raise ConfigError(f"--redis-url: {error}") from None


def default_config_path() -> Path:
    """`copydesk.toml` in the working directory, else the one beside the project's sources."""
    local = Path.cwd() / DEFAULT_CONFIG_NAME
    return local if local.is_file() else Path(__file__).resolve().parent.parent / DEFAULT_CONFIG_NAME


def _patterns(entries: list[dict[str, Any]], where: str) -> Iterator[tuple[dict[str, Any], re.Pattern[str]]]:
    """Each enabled entry of a rule list with its compiled pattern; a missing key or bad regex is refused."""
    for entry in entries:
        if not entry.get("enabled", True):
            continue
        try:
            yield entry, re.compile(entry["pattern"])
        except KeyError as missing:
            raise ConfigError(f"[[{where}]] entry {entry.get('name', '?')} lacks {missing}") from None
        except re.error as error:
            raise ConfigError(f"[[{where}]] {entry.get('name', '?')}: bad regex: {error}") from None


def _line_rules(section: dict[str, Any], where: str) -> tuple[LineRule, ...]:
    return tuple(
        LineRule(name=entry.get("name", where), pattern=pattern)
        for entry, pattern in _patterns(section.get("rules", []), f"{where}.rules")
    )


def _section_rules(section: dict[str, Any]) -> tuple[SectionRule, ...]:
    rules = []
    for entry, pattern in _patterns(section.get("sections", []), "junk.sections"):
        until = entry.get("until", "prose")
        if until not in ("prose", "next", "end"):
            raise ConfigError(f"[[junk.sections]] {entry.get('name')}: until must be prose, next or end")
        rules.append(SectionRule(name=entry.get("name", "section"), pattern=pattern, until=until))
    return tuple(rules)


def _known(section: dict[str, Any], cls: type, where: str) -> dict[str, Any]:
    """Keep a section's keys that the settings class knows; reject typos loudly."""
    fields = set(cls.__dataclass_fields__)
    unknown = set(section) - fields
    if unknown:
        raise ConfigError(f"[{where}] has unknown keys {sorted(unknown)}; known: {sorted(fields)}")
    return {key: tuple(value) if isinstance(value, list) else value for key, value in section.items()}


def load_config(path: Path | None = None) -> Config:
    """Read and validate the config file."""
    path = path or default_config_path()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: {error}") from None
    junk = raw.get("junk", {})
    captions = raw.get("captions", {})
    spelling = _known(raw.get("spelling", {}), SpellingRules, "spelling")
    spelling["protected_words"] = frozenset(spelling.get("protected_words", ()))
    canonical = raw.get("canonical", {})
    scale = _known(raw.get("scale", {}), ScaleSettings, "scale")
    try:
        cleaning = CleaningRules(
            uncurl_quotes=raw.get("unicode", {}).get("uncurl_quotes", False),
            junk_rules=_line_rules(junk, "junk"),
            caption_rules=_line_rules(captions, "captions"),
            section_rules=_section_rules(junk),
            caption_max_words=captions.get("max_words", 80),
            bullet_chars=junk.get("bullet_chars", CleaningRules.bullet_chars),
            metadata=MetadataRules(**_known(raw.get("metadata", {}), MetadataRules, "metadata")),
            boilerplate=BoilerplateRules(**_known(raw.get("boilerplate", {}), BoilerplateRules, "boilerplate")),
            body=BodyRules(**_known(raw.get("body", {}), BodyRules, "body")),
        )
        return Config(
            cleaning=cleaning,
            spelling=SpellingRules(**spelling),
            dedup=DedupSettings(**_known(raw.get("dedup", {}), DedupSettings, "dedup"), **scale),
            canonical=CanonicalPolicy(
                criteria=tuple(canonical.get("policy", CanonicalPolicy.criteria)),
                source_ranking=tuple(canonical.get("source_ranking", ())),
            ),
            input=InputSettings(**_known(raw.get("input", {}), InputSettings, "input")),
            html=HtmlSettings(**_known(raw.get("html", {}), HtmlSettings, "html"), body=cleaning.body),
            warc=WarcSettings(**_known(raw.get("warc", {}), WarcSettings, "warc")),
            corpus=CorpusSettings(**_known(raw.get("corpus", {}), CorpusSettings, "corpus")),
            path=str(path),
            raw=raw,
        )
    except (TypeError, ValueError) as error:
        raise ConfigError(f"{path}: {error}") from None
