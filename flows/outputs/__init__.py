"""The published outputs: the schema, every table, the corpus, the report, the manifest, atomic publishing."""
