"""The paragraphs' keys made once a run: the incumbent test and the canonical keys the state keeps read the same
keys as when each hashed its paragraphs itself."""

from __future__ import annotations

import pyarrow as pa

from dedup.deduplicate import deduplicate
from dedup.settings import CanonicalPolicy, DedupSettings
from dedup.text_hash import text_hashes
from flows.stages.steps import (
    canonical_keys,
    paragraph_key,
    paragraph_keys,
    paragraph_records,
    unseated_incumbents,
)
from tests.cleaned_articles import cleaned_of
from tests.test_tables import AFTER, MARKETS, SUMMIT, WEATHER, document


def test_keys_made_once_give_the_same_incumbents_and_canonical_keys():
    documents = [
        document("wire", [SUMMIT, AFTER]),
        document("paper", [SUMMIT, MARKETS]),
        document("blog", [WEATHER, SUMMIT.replace("disarray", "chaos")]),
    ]
    cleaned = cleaned_of(documents)
    keys = paragraph_keys(cleaned)
    assert keys.to_pylist() == [paragraph_key(d.doc_id, text) for d in documents for text in d.paragraphs]
    assert keys[0].as_py() == f"wire:{int(text_hashes([SUMMIT])[0, 0]):016x}"  # the key the state stores
    incumbents = pa.array([keys[0].as_py(), keys[3].as_py(), paragraph_key("gone", WEATHER)])
    records = paragraph_records(cleaned, incumbents, keys)
    assert records == paragraph_records(cleaned, incumbents)
    assert [record.incumbent for record in records] == [True, False, False, True, False, False]
    texts = list(cleaned.texts())
    dedup = deduplicate(records, texts, DedupSettings(), CanonicalPolicy())
    assert not all(membership.is_canonical for membership in dedup.memberships)
    assert canonical_keys(records, texts, dedup, keys) == canonical_keys(records, texts, dedup)
    unseated = [record.incumbent and not m.is_canonical for record, m in zip(records, dedup.memberships)]
    assert unseated_incumbents(records, dedup) == sum(unseated) == 1  # wire-0: the policy prefers blog-1
    canonical = [key for key, membership in zip(keys.to_pylist(), dedup.memberships) if membership.is_canonical]
    assert canonical_keys(records, texts, dedup).to_pylist() == sorted(set(canonical))
