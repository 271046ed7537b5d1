"""A config file is overlaid on the project's defaults and validated as a whole before anything runs."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from flows.config import DEFAULTS_PATH, ConfigError, load_config
from tests.conftest import REPO


def config_file(tmp_path: Path, text: str) -> Path:
    """A user's config file holding `text`."""
    path = tmp_path / "mine.toml"
    path.write_text(text, encoding="utf-8")
    return path


def rule_names(rules) -> list[str]:
    return [rule.name for rule in rules]


def test_a_partial_file_keeps_every_default_it_does_not_name(tmp_path, config):
    mine = load_config(config_file(tmp_path, "[dedup]\njaccard_threshold = 0.6\n"))
    assert mine.dedup.jaccard_threshold == 0.6
    assert mine.dedup.num_perm == config.dedup.num_perm
    assert rule_names(mine.cleaning.junk_rules) == rule_names(config.cleaning.junk_rules)
    assert rule_names(mine.cleaning.section_rules) == rule_names(config.cleaning.section_rules)
    assert mine.canonical.source_ranking == config.canonical.source_ranking
    assert mine.sha256 != config.sha256


def test_a_rule_of_a_default_name_replaces_it_a_new_name_adds_one_and_enabled_false_switches_one_off(tmp_path):
    mine = load_config(
        config_file(
            tmp_path,
            "[[junk.rules]]\nname = 'captcha'\nenabled = false\n"
            "[[junk.rules]]\nname = 'share_counter'\npattern = '^\\d+ shares$'\n"
            "[[junk.rules]]\nname = 'buy_now'\npattern = '(?i)^buy now$'\n",
        )
    )
    rules = {rule.name: rule.pattern.pattern for rule in mine.cleaning.junk_rules}
    assert "captcha" not in rules
    assert rules["share_counter"] == r"^\d+ shares$"
    assert rules["buy_now"] == "(?i)^buy now$"
    assert "site_furniture" in rules and list(rules)[-1] == "buy_now"


def test_a_table_of_hosts_gains_the_users_hosts(tmp_path, config):
    mine = load_config(config_file(tmp_path, '[warc]\nsource_names = { "bbc.co.uk" = "BBC" }\n'))
    assert mine.warc.source_names == config.warc.source_names | {"bbc.co.uk": "BBC"}


def test_without_a_file_the_defaults_are_the_projects_own(tmp_path, monkeypatch, config):
    monkeypatch.chdir(tmp_path)
    assert load_config().sha256 == config.sha256


# A rule the user's file adds comes after the project's own junk rules.
ADDED_RULE = len(tomllib.loads((REPO / "copydesk.toml").read_text(encoding="utf-8"))["junk"]["rules"]) + 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[dedup]\njaccard_threshold = "high"\n', r"\[dedup\] jaccard_threshold: Input should be a valid number"),
        ("[dedup]\njaccard_threshold = 7\n", r"\[dedup\] jaccard_threshold: .*less than or equal to 1 \(got 7\)"),
        ('[dedup]\nnum_perm = "128"\n', r"\[dedup\] num_perm: Input should be a valid integer"),
        ("[dedup]\nshingle_size = 0\n", r"\[dedup\] shingle_size: .*greater than or equal to 1"),
        ("[dedup]\nlsh_bands = 64\nlsh_rows = 4\n", r"\[dedup\]: lsh_bands x lsh_rows \(64x4\) exceeds num_perm 128"),
        (
            "[dedup]\nsentence_lsh_bands = 26\n",
            r"\[dedup\]: sentence_lsh_bands x sentence_lsh_rows \(26x5\) exceeds num_perm 128",
        ),
        ("[dedupe]\njaccard_threshold = 0.6\n", r"\[dedupe\]: unknown section"),
        ("[dedup]\njacard_threshold = 0.6\n", r"\[dedup\] jacard_threshold: unknown key"),
        ("[spelling]\nenabled = 1\n", r"\[spelling\] enabled: Input should be a valid boolean"),
        ("[[junk.rules]]\nname = 'x'\npattern = '(unclosed'\n", r"\[\[junk.rules\]\] x: bad regex"),
        ("[[junk.rules]]\nname = 'x'\n", r"\[\[junk.rules\]\] x: bad regex: no pattern"),
        ("[[junk.rules]]\npattern = 'x'\n", rf"\[\[junk.rules\]\] #{ADDED_RULE} name: Field required"),
        ("[[junk.sections]]\nname = 'x'\npattern = 'x'\nuntil = 'later'\n", r"until: Input should be 'prose'"),
        ("[canonical]\npolicy = ['loudest']\n", r"unknown canonical policy criteria \['loudest'\]"),
        ("[html]\nbody = {}\n", r"\[html\] body: unknown key"),
        ("[dedup]\nredis_url = 'redis://x'\n", r"\[dedup\] redis_url: unknown key"),
        ("[scale]\nredis_url = 'http://x'\n", r"redis_url must be a redis://"),
        ("[warc]\nsource_names = { 'a.com' = 1 }\n", r"\[warc\] source_names a.com: Input should be a valid string"),
        ("[dedup\n", r"mine.toml: "),
    ],
)
def test_a_bad_value_is_refused_with_a_message_naming_it(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message) as refused:
        load_config(config_file(tmp_path, text))
    assert "\n" not in str(refused.value)


def test_an_unreadable_or_missing_file_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "absent.toml")
    folder = tmp_path / "folder.toml"
    folder.mkdir()
    with pytest.raises(ConfigError, match=re.escape(f"cannot read config file {folder}")):
        load_config(folder)


def test_the_defaults_ship_inside_the_installed_package(tmp_path):
    wheel_dir = tmp_path / "wheel"
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheel_dir)]
    subprocess.run([*build, str(REPO)], check=True, capture_output=True, timeout=300)
    (wheel,) = wheel_dir.glob("copydesk-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        shipped = archive.read("flows/copydesk.toml").decode("utf-8")
    assert shipped == DEFAULTS_PATH.read_text(encoding="utf-8") == (REPO / "copydesk.toml").read_text(encoding="utf-8")
