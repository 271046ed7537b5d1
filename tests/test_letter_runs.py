"""The letter-run scan (cleaners/letter_runs.py): which texts hold one of some runs of ASCII letters as a whole run,
as Arrow's RE2 finds them with the runs standing alone, for several collections of runs in one scan."""

from __future__ import annotations

import re

import pyarrow as pa

from cleaners.letter_runs import holding_runs, longest_runs
from cleaners.spelling import STANDING_ALONE, alternations, matching_any

SHAPES = [
    "",
    "Mr Ed met Mr. Ed and éEd, Edé, _Ed, Ed_ and 3Ed at ed.com/Ed, Ed@ed.org, #Ed @Ed Ed’s Ed’ Ed-",
    "The goverment said.The talks on denucle- arization resumed (goverment)",
    "Goverments of both countries said nothing; the xgoverment, govermentx.",
    "Ça déjà: the Straße in İstanbul 🙂goverment🙂, quoted “as is” — 1,200 words.",
    "rock'n'roll well-known n’roll",
]


def by_re2(texts: pa.Array | pa.ChunkedArray, runs: set[str]) -> list[bool]:
    """What RE2 finds with the runs standing alone."""
    return matching_any(texts, alternations(sorted(runs), STANDING_ALONE)).tolist()


def test_the_scan_finds_what_re2_finds_with_the_runs_standing_alone(seeds):
    paragraphs = [paragraph for text in seeds.values() for paragraph in text.split("\n\n")]
    texts = [*paragraphs, *SHAPES]
    column = pa.chunked_array([texts[:3], texts[3:4], [], texts[4:]], pa.string())
    words = {word for text in paragraphs for word in re.findall("[A-Za-z]+", text)}
    rare = {word for word in sorted(words)[::50]}
    collections = [rare, {"Ed", "goverment", "roll", "n", "denucle", "arization", "The"}, {"the"}, set()]
    held = holding_runs(column, *collections)
    assert len(held) == len(collections)
    for runs, found in zip(collections, held, strict=True):
        assert found.tolist() == by_re2(column, runs) if runs else not found.any()
    assert held[1][len(paragraphs) :].tolist() == [False, True, True, False, True, True]
    assert held[1][: len(paragraphs)].any() and not held[1][: len(paragraphs)].all()
    sliced = column.slice(2, len(texts) - 3)
    assert holding_runs(sliced, rare)[0].tolist() == by_re2(sliced, rare)
    assert holding_runs(pa.array([], pa.string()), rare)[0].tolist() == []


def test_a_words_longest_letter_run_stands_for_it():
    assert longest_runs(["well-known", "said.The", "denucle- arization", "Ed", "--", "o’clock"]) == {
        "known",
        "said",
        "arization",
        "Ed",
        "clock",
    }
