"""What a worker process loads once and keeps for the tasks it serves: a file the flow wrote for the whole run
(the learned boilerplate, the spelling decisions), read on first use and again only when the file changes."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

Loaded = TypeVar("Loaded")
_loaded: dict[tuple[Path, Callable], tuple[tuple[int, int, int], object]] = {}
_loading = threading.Lock()  # the flow process's thread pool runs several tasks at once


def load_once(path: Path, load: Callable[[Path], Loaded]) -> Loaded:
    """`load(path)`, read once in this process and kept while the file stays the same (modification time, inode
    and size: a new run writes a new file); only the latest file per loader is kept."""
    status = path.stat()
    stamp = (status.st_mtime_ns, status.st_ino, status.st_size)
    with _loading:
        kept = _loaded.get((path, load))
        if kept is None or kept[0] != stamp:
            for key in [key for key in _loaded if key[1] is load]:
                del _loaded[key]
            kept = _loaded[(path, load)] = (stamp, load(path))
    return kept[1]  # type: ignore[return-value]
