"""OUT_DIR/README.md: a dataset card whose `configs` tell Hugging Face datasets what each table is, so
`load_dataset(OUT_DIR)` loads the corpus and `load_dataset(OUT_DIR, "articles")` a table, instead of failing
on one folder of tables with different schemas."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from flows.outputs.corpus import PARQUET_FOLDER

DATASET_CARD = "README.md"


def dataset_card(tables: Iterable[str], folders: Collection[str]) -> str:
    """The card: the corpus as the default config, then one config per table (`folders`: the tables written as
    folders of parts)."""
    lines = ["---", "configs:", "- config_name: corpus", "  default: true", f"  data_files: {PARQUET_FOLDER}/*.parquet"]
    for name in tables:
        files = f"{name}/*.parquet" if name in folders else name
        lines += [f"- config_name: {name.removesuffix('.parquet')}", f"  data_files: {files}"]
    lines += [
        "---",
        "",
        "# copydesk output",
        "",
        "Written by copydesk: the deduplicated corpus as `corpus/*.jsonl.gz` and `corpus.parquet/*.parquet`",
        "(one record per article: `id`, `text`, `metadata`), and the tables of what each run did. With Hugging",
        'Face datasets: `load_dataset(OUT_DIR)` is the corpus, `load_dataset(OUT_DIR, "articles")` a table.',
        "",
    ]
    return "\n".join(lines)
