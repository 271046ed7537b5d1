"""The process of Prefect's temporary API server (`python -P flows/runtime/temporary_server.py APP PORT`, launched
by `flows.runtime.api_server`; it imports nothing of copydesk): it reads Prefect's settings, ends at once (status 0)
if they name an API, else sends its output to PREFECT_HOME/temporary-server.log and serves the factory APP
(Prefect's `create_app`) on 127.0.0.1:PORT as Prefect 3's own `SubprocessASGIServer` does, until SIGTERM (uvicorn's
status 3: the port was taken)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from prefect.settings import Settings, get_current_settings

SERVER_LOG = "temporary-server.log"
# Prefect's settings for its temporary server, under those the user set (a profile's or the environment's).
SERVER_SETTINGS = {
    "PREFECT_UI_ENABLED": "0",
    "PREFECT__SERVER_EPHEMERAL": "1",
    "PREFECT__SERVER_FINAL": "1",
    # No block types registered as it starts (Prefect's default loads every installed collection, Dask's among
    # them, to see whether they changed: some 0.7 s): a copydesk run stores no block.
    "PREFECT_API_BLOCKS_REGISTER_ON_START": "0",
    "PREFECT_MEMOIZE_BLOCK_AUTO_REGISTRATION": "0",
}


def server_log(settings: Settings) -> Path:
    """Where the temporary servers' output goes."""
    settings.home.mkdir(parents=True, exist_ok=True)
    return settings.home / SERVER_LOG


def _output_to(log: Path) -> None:
    """Send this process's stdout and stderr to the end of `log`."""
    with open(log, "ab") as file:
        os.dup2(file.fileno(), sys.stdout.fileno())
        os.dup2(file.fileno(), sys.stderr.fileno())


def serve(app: str, port: int) -> None:
    """Serve the app the factory `app` makes on 127.0.0.1:`port` with the server's settings, unless an API is
    configured."""
    from prefect.context import refresh_global_settings_context

    settings = get_current_settings()
    if settings.api.url:
        return
    _output_to(server_log(settings))
    os.environ.update({**SERVER_SETTINGS, **settings.to_environment_variables(exclude_unset=True)})
    refresh_global_settings_context()
    import uvicorn

    uvicorn.run(
        app,
        factory=True,
        host="127.0.0.1",
        port=port,
        log_level="error",
        lifespan="on",
    )


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]))
