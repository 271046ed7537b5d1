"""The config file (copydesk.toml), overlaid on the project's defaults, validated as a whole, and read once
into typed settings that are passed down."""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any, Literal

import wordfreq
from annotated_types import Ge
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from cleaners.rules import (
    AtLeastOne,
    BodyRules,
    BoilerplateRules,
    CleaningRules,
    LanguageRules,
    LineRule,
    MetadataRules,
    SectionRule,
    Share,
    SpellingRules,
)
from dedup.settings import CanonicalPolicy, DedupSettings
from flows.overlay import overlay

DEFAULT_CONFIG_NAME = "copydesk.toml"
# The project's copydesk.toml, shipped inside the package (flows/copydesk.toml links to it in the sources).
DEFAULTS_PATH = Path(__file__).resolve().parent / DEFAULT_CONFIG_NAME
# Keys of a settings class that another section fills, so a file may not set them where the class is read.
FILLED_ELSEWHERE = {"html": {"body"}, "dedup": {"redis_url"}}


class ConfigError(ValueError):
    """The config file is missing, malformed, or names something copydesk does not know."""


@dataclass(frozen=True)
class InputSettings:
    """Limits on what is read from the raw folder."""

    max_file_bytes: Annotated[int, Ge(1)] = 50_000_000
    min_article_words: Annotated[int, Ge(0)] = 5
    max_article_chars: Annotated[int, Ge(1)] = 1_000_000
    max_article_words: Annotated[int, Ge(1)] = 100_000
    max_paragraph_chars: Annotated[int, Ge(1)] = 50_000
    max_paragraph_words: Annotated[int, Ge(1)] = 5_000


@dataclass(frozen=True)
class HtmlSettings:
    """How HTML pages become text: trafilatura's options, and when to fall back to the page's text dump."""

    include_comments: bool = False
    include_tables: bool = True
    favor_precision: bool = False
    favor_recall: bool = False
    dump_fallback_ratio: Annotated[float, Ge(0)] = 0.4
    vote_lines: bool = True
    body: BodyRules = field(default_factory=BodyRules)


@dataclass(frozen=True)
class CorpusSettings:
    """Which canonical documents the corpus keeps, and how many documents go in each of its shards."""

    min_words: Annotated[int, Ge(0)] = 0
    min_kept_share: Share = 0.0
    documents_per_shard: AtLeastOne = 10_000


@dataclass(frozen=True)
class ScaleSettings:
    """Where work runs outside the flow process: `redis_url` holds the dedup LSH indexes in Redis."""

    redis_url: str | None = None


@dataclass(frozen=True)
class WarcSettings:
    """How pages read from WARC archives are attributed: a source name by host (a host not listed is its own)."""

    source_names: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Config:
    """Every setting of a run, with the raw table kept for the manifest."""

    cleaning: CleaningRules
    language: LanguageRules
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


class _Table(BaseModel):
    """A config table: every key typed, none unknown, no silent conversion ("0.7" is not a number)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _Rule(_Table):
    name: str
    pattern: str = ""
    enabled: bool = True


class _Section(_Rule):
    until: Literal["prose", "next", "end"] = "prose"


class _Unicode(_Table):
    uncurl_quotes: bool = False


class _Junk(_Table):
    bullet_chars: str = CleaningRules.bullet_chars
    rules: tuple[_Rule, ...] = ()
    sections: tuple[_Section, ...] = ()


class _Captions(_Table):
    max_words: Annotated[int, Ge(1)] = CleaningRules.caption_max_words
    rules: tuple[_Rule, ...] = ()


class _Canonical(_Table):
    policy: tuple[str, ...] = CanonicalPolicy.criteria
    source_ranking: tuple[str, ...] = ()


class _Overrides(_Table):
    file: str | None = None


class _ConfigFile(_Table):
    """The whole file: one field per section."""

    unicode: _Unicode = _Unicode()
    junk: _Junk = _Junk()
    captions: _Captions = _Captions()
    boilerplate: BoilerplateRules = BoilerplateRules()
    body: BodyRules = BodyRules()
    html: HtmlSettings = HtmlSettings()
    metadata: MetadataRules = MetadataRules()
    language: LanguageRules = LanguageRules()
    spelling: SpellingRules = SpellingRules()
    dedup: DedupSettings = DedupSettings()
    scale: ScaleSettings = ScaleSettings()
    canonical: _Canonical = _Canonical()
    input: InputSettings = InputSettings()
    warc: WarcSettings = WarcSettings()
    corpus: CorpusSettings = CorpusSettings()
    overrides: _Overrides = _Overrides()


_CONFIG_FILE = TypeAdapter(_ConfigFile)


def with_redis_url(config: Config, redis_url: str | None) -> Config:
    """The config with its LSH indexes in Redis at `redis_url` (the command line's --redis-url), when given."""
    if not redis_url:
        return config
    try:
        return replace(config, dedup=replace(config.dedup, redis_url=redis_url))
    except ValueError as error:
        raise ConfigError(f"--redis-url: {error}") from None


def default_config_path() -> Path | None:
    """`copydesk.toml` in the working directory, if there is one (overlaid on the project's defaults)."""
    local = Path.cwd() / DEFAULT_CONFIG_NAME
    return local if local.is_file() else None


def _read_toml(path: Path) -> dict[str, Any]:
    """A TOML file's table; a missing, unreadable or malformed file is a ConfigError."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read config file {path}: {getattr(error, 'strerror', None) or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: {error}") from None


def _where(location: tuple) -> str:
    """A pydantic error location as the file spells it: `[dedup] jaccard_threshold`, `[[junk.rules]] #2 name`."""
    section, *rest = [str(part) for part in location] or ["?"]
    if rest and rest[0] in ("rules", "sections") and len(rest) > 1 and rest[1].isdigit():
        return " ".join([f"[[{section}.{rest[0]}]] #{int(rest[1]) + 1}", *rest[2:]])
    return " ".join([f"[{section}]", *rest])


def _problem(error: dict) -> str:
    """One pydantic error as one readable phrase."""
    if error["type"] in ("extra_forbidden", "unexpected_keyword_argument"):
        return f"{_where(error['loc'])}: unknown {'section' if len(error['loc']) == 1 else 'key'}"
    got = "" if isinstance(error["input"], dict) else f" (got {error['input']!r})"
    return f"{_where(error['loc'])}: {error['msg'].removeprefix('Value error, ')}{got}"


def _validated(table: dict[str, Any], path: Path) -> _ConfigFile:
    """The merged table checked as a whole: types, ranges, unknown sections and keys."""
    for section, keys in FILLED_ELSEWHERE.items():
        for key in keys & set(table.get(section, {})):
            raise ConfigError(f"{path}: [{section}] {key}: unknown key")
    try:
        return _CONFIG_FILE.validate_json(json.dumps(table, default=str))
    except ValidationError as error:
        raise ConfigError(f"{path}: " + "; ".join(_problem(each) for each in error.errors())) from None


def _compiled(rule: _Rule, where: str, path: Path) -> re.Pattern[str]:
    """A rule's pattern compiled; an empty or bad regex is refused."""
    try:
        if not rule.pattern:
            raise re.error("no pattern")
        return re.compile(rule.pattern)
    except re.error as error:
        raise ConfigError(f"{path}: [[{where}]] {rule.name}: bad regex: {error}") from None


def _line_rules(rules: tuple[_Rule, ...], where: str, path: Path) -> tuple[LineRule, ...]:
    return tuple(LineRule(rule.name, _compiled(rule, where, path)) for rule in rules if rule.enabled)


def _section_rules(rules: tuple[_Section, ...], path: Path) -> tuple[SectionRule, ...]:
    return tuple(
        SectionRule(rule.name, _compiled(rule, "junk.sections", path), rule.until) for rule in rules if rule.enabled
    )


def _missing_word_lists(languages: tuple[str, ...]) -> list[str]:
    """The languages wordfreq has no word list for."""
    return sorted(set(languages) - wordfreq.available_languages().keys())


def load_config(path: Path | None = None) -> Config:
    """The project's defaults with the file at `path` (else ./copydesk.toml, if any) overlaid, validated."""
    path = path or default_config_path()
    table = overlay(_read_toml(DEFAULTS_PATH), _read_toml(path)) if path else _read_toml(DEFAULTS_PATH)
    path = path or DEFAULTS_PATH
    settings = _validated(table, path)
    cleaning = CleaningRules(
        uncurl_quotes=settings.unicode.uncurl_quotes,
        junk_rules=_line_rules(settings.junk.rules, "junk.rules", path),
        caption_rules=_line_rules(settings.captions.rules, "captions.rules", path),
        section_rules=_section_rules(settings.junk.sections, path),
        caption_max_words=settings.captions.max_words,
        bullet_chars=settings.junk.bullet_chars,
        metadata=settings.metadata,
        boilerplate=settings.boilerplate,
        body=settings.body,
    )
    if missing := _missing_word_lists(settings.spelling.foreign_word_languages):
        raise ConfigError(f"{path}: [spelling] foreign_word_languages: wordfreq has no word list for {missing}")
    try:
        canonical = CanonicalPolicy(settings.canonical.policy, settings.canonical.source_ranking)
        dedup = replace(settings.dedup, redis_url=settings.scale.redis_url)
    except ValueError as error:
        raise ConfigError(f"{path}: {error}") from None
    return Config(
        cleaning=cleaning,
        language=settings.language,
        spelling=settings.spelling,
        dedup=dedup,
        canonical=canonical,
        input=settings.input,
        html=replace(settings.html, body=settings.body),
        warc=settings.warc,
        corpus=settings.corpus,
        path=str(path),
        raw=table,
    )
