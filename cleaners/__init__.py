"""Pure cleaning steps on one article's text: no I/O, no Prefect.

Each step takes text (or lines) plus its rules and returns the result together with
what it changed and why, so nothing disappears without a trace.
"""
