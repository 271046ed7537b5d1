"""`copydesk review serve OUT_DIR`: a local page to review every cluster, removed line and correction of a run.

A stdlib ThreadingHTTPServer answers JSON endpoints from ReviewTables (DuckDB over the Parquet outputs) and
serves the page's own HTML, CSS and script (flows/review/static). The page builds its DOM with textContent only; a
Content-Security-Policy allows nothing but the page's own files and its own JSON; requests naming another
host are refused, so another site cannot read the outputs through the browser.
"""

from __future__ import annotations

import json
import signal
import threading
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from flows.outputs.report_review import member_commands, removed_line_command
from flows.outputs.word_diff import word_diff
from flows.review.commands import SERVE_PORT, review_command
from flows.review.tables import CLUSTER_SORTS, LISTINGS, MAX_PER_PAGE, ClusterFilter, ReviewTables

PER_PAGE = 20
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
STATIC_FILES = {
    "/": ("review.html", "text/html; charset=utf-8"),
    "/review.js": ("review.js", "text/javascript; charset=utf-8"),
    "/review.css": ("review.css", "text/css; charset=utf-8"),
}


class BadRequest(ValueError):
    """A query parameter the page would never send."""


@dataclass(frozen=True)
class Query:
    """A request's query string, read one typed parameter at a time."""

    values: dict[str, list[str]]

    def text(self, name: str) -> str:
        return self.values.get(name, [""])[-1]

    def number(self, name: str, kind: type, low: float, high: float) -> float | int | None:
        """A number within [low, high], or None when the parameter is absent or blank."""
        text = self.text(name).strip()
        if not text:
            return None
        try:
            value = kind(text)
        except ValueError:
            raise BadRequest(f"{name} must be a number, not {text!r}") from None
        if not low <= value <= high:
            raise BadRequest(f"{name} must be between {low} and {high}")
        return value

    def page(self) -> tuple[int, int]:
        """The page number (from 1) and rows per page."""
        return self.number("page", int, 1, 10**9) or 1, self.number("per_page", int, 1, MAX_PER_PAGE) or PER_PAGE


def cluster_view(out_dir: Path, cluster: dict) -> dict:
    """A cluster as the page shows it: its canonical paragraph once, each member with its diff and commands."""
    canonical, *members = cluster.pop("paragraphs")
    return cluster | {"canonical": canonical, "members": member_views(out_dir, canonical, members)}


def member_views(out_dir: Path, canonical: dict, members: list[dict]) -> list[dict]:
    """Members with their word diff against the canonical paragraph and the review commands beside them."""
    for member in members:
        window = member["match"] == "contained"
        diff = word_diff(canonical["text"], member["text"], window)
        member["diff"] = [[segment.kind, segment.text] for segment in diff]
        member["commands"] = member_commands(out_dir, canonical, member)
    return members


def listing_row(out_dir: Path, name: str, row: dict) -> dict:
    """A listing's row with the review command that reverses it, where there is one."""
    if name == "removed":
        return row | {"command": removed_line_command(out_dir, row["text"], row["reasons"])}
    if name == "corrections":
        return row | {"command": review_command(out_dir, "reject-correction", row["original"])}
    return row | {"command": None}


class ReviewHandler(BaseHTTPRequestHandler):
    """Answers the page, its files and its JSON endpoints; every response carries the security headers."""

    server: ReviewServer

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the terminal shows the address, not every request."""

    def do_GET(self) -> None:
        if not self._host_allowed():
            self._send(HTTPStatus.FORBIDDEN, b"unknown host", "text/plain; charset=utf-8")
            return
        url = urlsplit(self.path)
        query = Query(parse_qs(url.query, keep_blank_values=True))
        try:
            if url.path in STATIC_FILES:
                name, content_type = STATIC_FILES[url.path]
                self._send(
                    HTTPStatus.OK, resources.files("flows.review").joinpath("static", name).read_bytes(), content_type
                )
            elif url.path == "/favicon.ico":
                self._send(HTTPStatus.NO_CONTENT, b"", "image/x-icon")
            elif url.path == "/api/facets":
                self._json(self.server.tables.facets() | {"out_dir": str(self.server.out_dir)})
            elif url.path == "/api/clusters":
                self._json(self._clusters(query))
            elif url.path == "/api/members":
                self._json(self._members(query))
            elif url.path.startswith("/api/") and url.path[5:] in LISTINGS:
                self._json(self._listing(url.path[5:], query))
            else:
                self._send(HTTPStatus.NOT_FOUND, b"not found", "text/plain; charset=utf-8")
        except BadRequest as error:
            self._json({"error": str(error)}, HTTPStatus.BAD_REQUEST)

    def _host_allowed(self) -> bool:
        """Only requests addressed to this server by its own name (no DNS rebinding)."""
        port = self.server.server_address[1]
        names = {self.server.host, "localhost", "127.0.0.1", "[::1]"}
        return self.headers.get("Host", "") in {f"{name}:{port}" for name in names}

    def _clusters(self, query: Query) -> dict:
        sort = query.text("sort") or "copied_words"
        if sort not in CLUSTER_SORTS:
            raise BadRequest(f"sort must be one of {', '.join(CLUSTER_SORTS)}")
        where = ClusterFilter(
            search=query.text("q"),
            source=query.text("source"),
            match=query.text("match"),
            score_min=query.number("score_min", float, 0, 1),
            score_max=query.number("score_max", float, 0, 1),
            size_min=query.number("size_min", int, 1, 10**9),
            size_max=query.number("size_max", int, 1, 10**9),
            paragraph=query.text("paragraph"),
        )
        page, per_page = query.page()
        total, clusters = self.server.tables.clusters(where, sort, page, per_page)
        out_dir = self.server.out_dir
        return {
            "total": total,
            "page": page,
            "per_page": per_page,
            "clusters": [cluster_view(out_dir, c) for c in clusters],
        }

    def _members(self, query: Query) -> dict:
        after, (_, count) = query.number("after", int, 0, 10**9) or 0, query.page()
        found = self.server.tables.members(query.text("cluster"), after, count)
        if not found:
            raise BadRequest(f"no cluster {query.text('cluster')!r} is listed")
        canonical, *members = found
        return {"after": after, "members": member_views(self.server.out_dir, canonical, members)}

    def _listing(self, name: str, query: Query) -> dict:
        page, per_page = query.page()
        total, rows = self.server.tables.listing(name, query.text("q"), page, per_page)
        out_dir = self.server.out_dir
        return {
            "total": total,
            "page": page,
            "per_page": per_page,
            "rows": [listing_row(out_dir, name, r) for r in rows],
        }

    def _json(self, payload: dict, status: HTTPStatus = HTTPStatus.OK) -> None:
        self._send(status, json.dumps(payload, default=str).encode(), "application/json; charset=utf-8")

    def _send(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for header, value in SECURITY_HEADERS.items():
            self.send_header(header, value)
        self.end_headers()
        self.wfile.write(body)


class ReviewServer(ThreadingHTTPServer):
    """The review page's HTTP server over one run's tables."""

    daemon_threads = True

    def __init__(self, out_dir: Path, host: str = "127.0.0.1", port: int = SERVE_PORT) -> None:
        self.out_dir = out_dir.resolve()
        self.tables = ReviewTables(self.out_dir)
        self.host = host
        try:
            super().__init__((host, port), ReviewHandler)
        except BaseException:
            self.tables.close()
            raise

    def server_close(self) -> None:
        super().server_close()
        self.tables.close()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"


@dataclass
class RunningServer:
    """A ReviewServer answering on a background thread, until stop()."""

    server: ReviewServer
    thread: threading.Thread

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


def start_in_background(out_dir: Path, host: str = "127.0.0.1", port: int = 0) -> RunningServer:
    """Serve OUT_DIR's review page on a thread (port 0: any free port); stop() ends it."""
    server = ReviewServer(out_dir, host, port)
    thread = threading.Thread(target=server.serve_forever, name="copydesk-review", daemon=True)
    thread.start()
    return RunningServer(server, thread)


def serve(out_dir: Path, host: str, port: int) -> int:
    """Serve OUT_DIR's review page until interrupted (Ctrl-C, or SIGTERM ending it the same way)."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with ReviewServer(out_dir, host, port) as server:
        print(f"copydesk review: {server.url} (Ctrl-C stops it)", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
    return 0
