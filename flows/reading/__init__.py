"""Reading the raw folder: files, WARC archives and HTML pages to raw article text."""
