"""A user's config table laid over the defaults: tables merge key by key, rule lists merge by rule name."""

from __future__ import annotations

from typing import Any


def _is_rule_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(entry, dict) for entry in value)


def _overlay_rules(defaults: list[dict], changes: list[dict]) -> list[dict]:
    """Rules by name: a rule named like a default one is laid over it (`enabled = false` alone switches it
    off), a new name is added after the defaults."""
    merged = list(defaults)
    position = {entry.get("name"): index for index, entry in enumerate(merged) if "name" in entry}
    for entry in changes:
        index = position.get(entry.get("name"))
        if index is None:
            merged.append(entry)
        else:
            merged[index] = overlay(merged[index], entry)
    return merged


def overlay(defaults: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """`changes` laid over `defaults`: nested tables merge, arrays of tables merge by name, any other value
    in `changes` replaces the default one."""
    merged = dict(defaults)
    for key, value in changes.items():
        default = merged.get(key)
        if isinstance(default, dict) and isinstance(value, dict):
            merged[key] = overlay(default, value)
        elif default and _is_rule_list(default) and _is_rule_list(value):
            merged[key] = _overlay_rules(default, value)
        else:
            merged[key] = value
    return merged
