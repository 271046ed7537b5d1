"""Cross-article paragraph deduplication: shingles, MinHash, LSH, verification, clusters, canonical choice.

Pure functions over paragraphs; the flows read and write, this package decides.
"""
