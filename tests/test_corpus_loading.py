"""The corpus as other tools load it: Hugging Face datasets (JSON and Parquet shards, and OUT_DIR itself),
datatrove's JsonlReader and dolma's document schema; fixed types, carried input fields, shards and limits."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from flows.cli import main
from flows.outputs.corpus import JSONL_FOLDER, PARQUET_FOLDER
from flows.outputs.schema import CORPUS, TABLES
from tests.conftest import REPO, SEED_NAMES, SEEDS_DIR
from tests.test_pipeline import run_cli, syndicated_copy

datasets = pytest.importorskip("datasets", reason="Hugging Face datasets is a test extra: pip install -e '.[test]'")
SHORT_STORY = "Markets closed a little higher on Friday after a quiet session."


def newswire_jsonl(raw: Path) -> None:
    """A JSONL feed as a new user has one: ids and a category, no source or url anywhere; the three seeds, another
    outlet's copy of one of them, and a one-line story."""
    seeds = [(SEEDS_DIR / name).read_text(encoding="utf-8") for name in SEED_NAMES]
    records = [{"id": f"wire-{n}", "category": "world", "text": text} for n, text in enumerate(seeds)]
    records.append({"id": "wire-copy", "category": "world", "text": syndicated_copy(seeds[2])})
    records.append({"text": SHORT_STORY, "category": "markets", "desk": 7})
    raw.mkdir()
    (raw / "feed.jsonl").write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")


def config_with(tmp_path: Path, **corpus: object) -> Path:
    """The project's config with [corpus] settings changed."""
    head, section = (REPO / "copydesk.toml").read_text(encoding="utf-8").split("[corpus]", 1)
    for key, value in corpus.items():
        section, replaced = re.subn(rf"(?m)^{key} = .*$", f"{key} = {value}", section, count=1)
        assert replaced, key
    path = tmp_path / "copydesk.toml"
    path.write_text(f"{head}[corpus]{section}", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def runs(prefect_harness, tmp_path_factory) -> dict[str, Path]:
    """The feed run with the default config, and with [corpus] limits and two documents a shard."""
    base = tmp_path_factory.mktemp("corpus-loading")
    raw = base / "raw"
    newswire_jsonl(raw)
    assert run_cli(raw, base / "default") == 0
    limited = config_with(base, min_words=20, min_kept_share=0.5, documents_per_shard=2)
    assert main(["run", str(raw), "--out", str(base / "limited"), "--config", str(limited)]) == 0
    return {"default": base / "default", "limited": base / "limited"}


def shard_records(out: Path) -> list[dict]:
    """Every record of the gzipped JSONL shards, in shard order."""
    return [
        json.loads(line)
        for shard in sorted((out / JSONL_FOLDER).glob("*.jsonl.gz"))
        for line in gzip.open(shard, "rt", encoding="utf-8")
    ]


@pytest.fixture
def load(tmp_path, monkeypatch):
    """datasets.load_dataset with its cache in tmp_path and the hub out of reach."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")

    def load_dataset(*arguments, **options):
        return datasets.load_dataset(*arguments, cache_dir=str(tmp_path / "hf-cache"), **options)

    return load_dataset


def test_json_and_parquet_shards_load_with_the_same_typed_schema(runs, load):
    out = runs["default"]
    from_json = load("json", data_files=str(out / JSONL_FOLDER / "*.jsonl.gz"), split="train")
    from_parquet = load("parquet", data_files=str(out / PARQUET_FOLDER / "*.parquet"), split="train")
    expected = datasets.Features.from_arrow_schema(CORPUS)
    assert from_json.features == expected, "no article had a source or url: still strings, not null"
    assert from_parquet.features == expected
    assert list(from_json.features) == ["id", "text", "source", "metadata"]
    assert from_json["id"] == from_parquet["id"] and from_json["text"] == from_parquet["text"]
    assert from_json.num_rows == 5


def test_load_dataset_on_the_output_folder_is_the_corpus_and_names_each_table(runs, load):
    out = runs["default"]
    corpus = load(str(out), split="train")
    assert corpus.num_rows == 5 and "metadata" in corpus.features
    articles = load(str(out), "articles", split="train")
    assert articles.num_rows == 5 and "duplicate_of" in articles.features


def test_records_carry_the_input_id_and_fields_and_the_share_kept(runs):
    records = {record["metadata"]["input_id"]: record for record in shard_records(runs["default"])}
    assert set(records) == {"wire-0", "wire-1", "wire-2", "wire-copy", ""}
    assert json.loads(records["wire-0"]["metadata"]["input_fields"]) == {"category": "world"}
    assert json.loads(records[""]["metadata"]["input_fields"]) == {"category": "markets", "desk": 7}
    assert records[""]["text"] == SHORT_STORY and records[""]["metadata"]["kept_share"] == 1.0
    copy = records["wire-copy"]["metadata"]
    assert copy["words"] < copy["article_words"] and copy["kept_share"] < 0.5, "the copy's paragraphs are elsewhere"
    assert all(record["metadata"]["url"] == "" and record["source"] for record in records.values())


def test_datatrove_reads_every_document_with_its_metadata(runs):
    readers = pytest.importorskip("datatrove.pipeline.readers", reason="datatrove is a test extra")
    documents = list(readers.JsonlReader(str(runs["default"] / JSONL_FOLDER)).run())
    assert [document.id for document in documents] == [record["id"] for record in shard_records(runs["default"])]
    assert {document.metadata["input_id"] for document in documents} >= {"wire-0", "wire-copy"}
    assert all(document.text for document in documents)


def test_records_meet_dolmas_document_schema(runs):
    """dolma's InputSpec (dolma/core/data_types.py): `id`, `text` and `source` strings are required. dolma itself
    is not a test extra (it pins an old fsspec and pulls in the AWS SDK: pyproject.toml), so its schema is checked."""
    for record in shard_records(runs["default"]):
        assert all(isinstance(record[field], str) and record[field] for field in ("id", "text", "source"))
        assert isinstance(record["metadata"], dict)


def test_limits_drop_short_and_mostly_copied_documents_and_count_them(runs):
    every = {record["id"]: record["metadata"] for record in shard_records(runs["default"])}
    expected = {doc_id for doc_id, meta in every.items() if meta["words"] >= 20 and meta["kept_share"] >= 0.5}
    assert len(expected) == 3, "the one-line story and the copy go"
    limited = runs["limited"]
    assert {record["id"] for record in shard_records(limited)} == expected
    manifest = json.loads((limited / "manifest.json").read_text(encoding="utf-8"))
    assert (manifest["counts"]["corpus_documents"], manifest["counts"]["corpus_dropped"]) == (3, 2)
    assert sorted(path.name for path in (limited / JSONL_FOLDER).iterdir()) == ["00000.jsonl.gz", "00001.jsonl.gz"]
    assert [pq.read_metadata(path).num_rows for path in sorted((limited / PARQUET_FOLDER).iterdir())] == [2, 1]
    legacy = [json.loads(line) for line in (limited / "corpus.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {line["doc_id"] for line in legacy} == expected and legacy[0]["url"] is None, "schema 2 shape, one release"


def test_an_empty_table_is_written_with_its_schema_and_no_row_group(runs):
    for name in ("boilerplate.parquet", "versions.parquet"):
        assert pq.read_schema(runs["default"] / name).equals(TABLES[name])
        assert pq.read_metadata(runs["default"] / name).num_row_groups == 0
        assert pq.read_table(runs["default"] / name).num_rows == 0
