"""The installed command fails well: a signal ends it at once with the shell's status, Prefect's temporary
server never outlives it, errors a user can cause are one line and a documented status, a failed run leaves
no staging folder, and names from outside cannot forge log lines."""

from __future__ import annotations

import hashlib
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from flows.outputs.publish import publish, staging_folder
from flows.runtime.exits import UNWIND_SECONDS, failure
from tests.conftest import (
    COPYDESK,
    REPO,
    SEED_NAMES,
    SEEDS_DIR,
    new_user_environment,
    parent_pid,
    prefect_servers,
    run_installed_copydesk,
)
from tests.test_lock import hold_lock

FORGED = "12:00:00.000 | ERROR   | forged line"


def snapshot(out: Path) -> dict[str, str]:
    """Every file under the output folder (symlinks as their targets) with its content hash."""
    files = {}
    for path in sorted(out.rglob("*")):
        name = str(path.relative_to(out))
        if path.is_symlink():
            files[name] = "-> " + os.readlink(path)
        elif path.is_file() and path.name != ".copydesk.lock":
            files[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return files


def seeds_folder(folder: Path) -> Path:
    """A raw folder of the seed articles."""
    folder.mkdir()
    for name in SEED_NAMES:
        shutil.copy(SEEDS_DIR / name, folder / name)
    return folder


def start_copydesk(home: Path, *arguments: str) -> subprocess.Popen:
    """The installed command in a session of its own (as a terminal's foreground job is), its log on a pipe."""
    env = new_user_environment(home) | {"PREFECT_LOGGING_LEVEL": "INFO"}
    # Ctrl-C's default action, as a terminal's foreground job has it: an ignored SIGINT passes through exec
    # (POSIX), and this test process may have inherited one from whatever started it; a handled one does not.
    inherited = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return subprocess.Popen(
            [str(COPYDESK), *arguments],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
    finally:
        signal.signal(signal.SIGINT, inherited)


def wait_for_line(process: subprocess.Popen, pattern: str) -> list[str]:
    """Read the run's log until a line matches `pattern`; the lines read."""
    lines = []
    for line in process.stderr:
        lines.append(line)
        if re.search(pattern, line):
            return lines
    pytest.fail(f"the run ended without logging {pattern!r}: {''.join(lines)[-2000:]}")


def rest_of_log(process: subprocess.Popen, seconds: float) -> str:
    """The rest of the run's log once the run ends; its session killed if it has not ended within `seconds`."""
    rest: list[str] = []
    reader = threading.Thread(target=lambda: rest.append(process.stderr.read()))
    reader.start()
    reader.join(seconds)
    if reader.is_alive():
        stop(process)
        reader.join()
    return "".join(rest)


def servers_started_by(pid: int) -> list[int]:
    """The Prefect server processes whose parent is `pid`."""
    return [server for server, folder in prefect_servers().items() if parent_pid(folder) == pid]


def gone_within(pids: list[int], seconds: float) -> bool:
    """Whether every process of `pids` has ended (or is a zombie) within `seconds`."""
    deadline = time.monotonic() + seconds
    while any(pid in prefect_servers() for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def stop(process: subprocess.Popen) -> None:
    """Kill the command's session if a failed assertion left it running."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def assert_one_line_failure(result: subprocess.CompletedProcess, status: int, message: str, prog="copydesk") -> None:
    """The command failed with `status` and printed nothing on stderr but one line: `prog: ` and `message`."""
    assert result.returncode == status, result.stderr[-2000:]
    assert result.stderr.count("\n") == 1 and re.fullmatch(f"{prog}: {message}\n", result.stderr), result.stderr


@pytest.fixture(scope="module")
def published(prefect_api_url, tmp_path_factory) -> tuple[Path, Path, str]:
    """The seeds and a file whose name holds a newline and a forged log line, run once into an output folder (on
    the session's Prefect API); the raw folder, the output folder and the run's log."""
    folder = tmp_path_factory.mktemp("published")
    raw = seeds_folder(folder / "raw")
    (raw / f"note\n{FORGED}.txt").write_text("Too short.", encoding="utf-8")
    out = folder / "clean"
    result = run_installed_copydesk(folder, "run", str(raw), "--out", str(out), api_url=prefect_api_url)
    assert result.returncode == 0, result.stderr[-2000:]
    return raw, out, result.stderr


@pytest.fixture
def copy_of_published(published, tmp_path) -> tuple[Path, Path]:
    """A copy of the published raw and output folders, for a run to change or fail to change."""
    raw, out, _ = published
    shutil.copytree(raw, tmp_path / "raw")
    shutil.copytree(out, tmp_path / "clean", symlinks=True)
    return tmp_path / "raw", tmp_path / "clean"


def test_a_file_name_cannot_forge_a_log_line(published):
    _, _, log = published
    assert not [line for line in log.splitlines() if line.startswith(FORGED)]
    assert re.search(r"WARNING .* rejected note\\n12:00:00\.000 \| ERROR   \| forged line\.txt: ", log), log


@pytest.mark.parametrize(
    ("send", "status", "message"),
    [
        (lambda process: os.killpg(process.pid, signal.SIGINT), 130, "interrupted"),  # Ctrl-C: the whole job
        (lambda process: process.send_signal(signal.SIGTERM), 143, "terminated"),
    ],
    ids=["ctrl-c", "sigterm"],
)
def test_a_signal_ends_the_run_at_once_leaving_the_outputs_and_no_server(
    copy_of_published, tmp_path, send, status, message
):
    raw, out = copy_of_published
    before = snapshot(out)
    process = start_copydesk(tmp_path / "home", "run", str(raw), "--out", str(out), "--force", "--batch-size", "1")
    try:
        wait_for_line(process, r"read: \d+/\d+ files in")
        servers = servers_started_by(process.pid)
        assert servers, "copydesk started Prefect's temporary server"
        signalled = time.monotonic()
        send(process)
        log = rest_of_log(process, 30)
        process.wait(timeout=30)
        seconds = time.monotonic() - signalled
    finally:
        stop(process)
    assert process.returncode == status, log[-2000:]
    assert seconds < 5, f"took {seconds:.1f}s to exit"
    assert f"copydesk: {message}; the published outputs are unchanged\n" in log
    assert "Traceback" not in log
    assert snapshot(out) == before, "outputs and run folders as they were: the staging folder is gone"
    assert gone_within(servers, 10), "the server ended with the command"


# A command run as `copydesk run` runs it (exit_status_of), in a process of its own: it prints "ready" once under way.
COMMAND_SCRIPT = """
import sys
from flows.runtime.exits import exit_status_of, undone_if_ended
{setup}
def command():
{body}
sys.exit(exit_status_of(command))
"""

# Queries DuckDB checks for signals in, over and over (each a second or so: should an interruption be lost, the
# next query goes on), inside Prefect's SIGTERM handler as during a flow run.
QUERIES = """
    with capture_sigterm():
        print("ready", flush=True)
        while True:
            duckdb.connect().sql("SELECT sum(a.range * b.range) FROM range(10000000) a, range(30) b").fetchall()
"""
# A command that swallows every Ctrl-C and SIGTERM it sees (as DuckDB at times does), holding a staging folder.
SWALLOWS = """
    with undone_if_ended(lambda: shutil.rmtree(STAGING)):
        print("ready", flush=True)
        while True:
            try:
                time.sleep(0.05)
            except BaseException:
                pass
"""
SIGNALS = pytest.mark.parametrize(
    ("signal_number", "status", "message"),
    [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")],
    ids=["ctrl-c", "sigterm"],
)


def signalled_command(setup: str, body: str, signal_number: int) -> tuple[subprocess.CompletedProcess, float]:
    """Run a command as the command line does, send it `signal_number` once it is under way; its result and the
    seconds from the signal to its end."""
    script = COMMAND_SCRIPT.format(setup=setup, body=body)
    inherited = signal.signal(signal.SIGINT, signal.default_int_handler)  # as start_copydesk: Ctrl-C not ignored
    try:
        process = subprocess.Popen(
            [sys.executable, "-c", script],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # a session of its own, which `stop` ends should the command outlive the test
        )
    finally:
        signal.signal(signal.SIGINT, inherited)
    try:
        assert process.stdout.readline() == "ready\n", process.communicate(timeout=30)
        time.sleep(0.3)
        signalled = time.monotonic()
        process.send_signal(signal_number)
        _, stderr = process.communicate(timeout=30)
        return subprocess.CompletedProcess(process.args, process.returncode, "", stderr), time.monotonic() - signalled
    finally:
        stop(process)


@SIGNALS
def test_a_signal_inside_a_duckdb_query_ends_the_command_with_its_status(signal_number, status, message):
    """DuckDB runs the signal's handler inside a query and reports its own error ("Query interrupted"), not ours,
    or at times none: the command still ends at once with the signal's line and status, no traceback."""
    setup = "import duckdb\nfrom prefect.utilities.engine import capture_sigterm"
    result, seconds = signalled_command(setup, QUERIES, signal_number)
    assert_one_line_failure(result, status, f"{message}; the published outputs are unchanged")
    assert seconds < UNWIND_SECONDS + 2


@SIGNALS
def test_a_command_that_does_not_unwind_is_ended_and_its_staging_folder_removed(
    tmp_path, signal_number, status, message
):
    staging = tmp_path / "staging"
    staging.mkdir()
    setup = f"import shutil, time\nfrom pathlib import Path\nSTAGING = Path({str(staging)!r})"
    result, seconds = signalled_command(setup, SWALLOWS, signal_number)
    assert_one_line_failure(result, status, f"{message}; the published outputs are unchanged")
    assert UNWIND_SECONDS <= seconds < UNWIND_SECONDS + 2
    assert not staging.exists()


# A command that spends its time in finalizers, where a signal's exception cannot propagate: Python reports it as
# "Exception ignored in" with a traceback and goes on (as when SIGTERM lands in an import's module-lock callback).
IN_FINALIZERS = """
    print("ready", flush=True)
    while True:
        Spinning()
"""
SPINNING = """
import time
class Spinning:
    def __del__(self):
        deadline = time.monotonic() + 0.05
        while time.monotonic() < deadline:
            pass
"""


@SIGNALS
def test_a_signal_lost_in_a_finalizer_ends_the_command_without_a_traceback(signal_number, status, message):
    result, seconds = signalled_command(SPINNING, IN_FINALIZERS, signal_number)
    assert_one_line_failure(result, status, f"{message}; the published outputs are unchanged")
    assert seconds < UNWIND_SECONDS + 2


def test_an_error_after_no_signal_is_not_taken_for_one():
    assert failure(RuntimeError("Query interrupted")) is None


def test_the_server_dies_with_a_killed_command(tmp_path):
    raw = seeds_folder(tmp_path / "raw")
    process = start_copydesk(tmp_path / "home", "run", str(raw), "--out", str(tmp_path / "clean"))
    try:
        wait_for_line(process, r"Beginning flow run")
        servers = servers_started_by(process.pid)
        assert servers, "copydesk started Prefect's temporary server"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        stop(process)
    assert gone_within(servers, 10), "the kernel ended the server with the command that started it"


@pytest.fixture
def small_disk(tmp_path) -> Path:
    """A 640 KB tmpfs mounted for the test (root only), unmounted after it."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs to fill needs root")
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=640k", "tmpfs", str(disk)], capture_output=True, check=False
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    yield disk
    subprocess.run(["umount", "--lazy", str(disk)], check=True)


def many_articles(folder: Path, count: int) -> Path:
    """`count` articles of words drawn at random from the seeds: outputs too large for the small disk."""
    folder.mkdir()
    words = " ".join((SEEDS_DIR / name).read_text(encoding="utf-8") for name in SEED_NAMES).split()
    pick = random.Random(13).choice
    for index in range(count):
        paragraphs = [" ".join(pick(words) for _ in range(60)) + "." for _ in range(8)]
        (folder / f"article{index}.txt").write_text(f"Report {index}\n\n" + "\n\n".join(paragraphs), encoding="utf-8")
    return folder


def test_a_full_disk_fails_in_one_line_and_leaves_the_outputs_and_the_space(small_disk, prefect_api_url, tmp_path):
    out = small_disk / "clean"
    raw = seeds_folder(tmp_path / "raw")
    first = run_installed_copydesk(tmp_path, "run", str(raw), "--out", str(out), api_url=prefect_api_url)
    assert first.returncode == 0, first.stderr[-2000:]
    before, used = snapshot(out), shutil.disk_usage(small_disk).used

    big = many_articles(tmp_path / "big", 160)
    result = run_installed_copydesk(tmp_path, "run", str(big), "--out", str(out), api_url=prefect_api_url)
    assert result.returncode == 4, result.stderr[-2000:]
    assert (
        "copydesk: cannot write the outputs (No space left on device); the published ones are unchanged\n"
        in result.stderr
    )
    assert "Traceback" not in result.stderr
    assert snapshot(out) == before, "the previous run is still published; the failed run's folder is gone"
    assert shutil.disk_usage(small_disk).used == used, "the failed run gave back the space it took"


@pytest.fixture
def read_only(copy_of_published, tmp_path) -> Path:
    """The copied output folder mounted read-only over itself (root only), unmounted after the test."""
    if os.geteuid() != 0:
        pytest.skip("a read-only bind mount needs root (root writes through file permissions)")
    _, out = copy_of_published
    for command in (["mount", "--bind", str(out), str(out)], ["mount", "-o", "remount,bind,ro", str(out)]):
        mounted = subprocess.run(command, capture_output=True, check=False)
        if mounted.returncode != 0:
            subprocess.run(["umount", str(out)], capture_output=True, check=False)
            pytest.skip(f"cannot bind-mount read-only here: {mounted.stderr.decode().strip()}")
    yield out
    subprocess.run(["umount", str(out)], check=True)


def test_a_read_only_output_folder_fails_in_one_line_before_any_work(copy_of_published, read_only, tmp_path):
    raw, _ = copy_of_published
    before = snapshot(read_only)
    result = run_installed_copydesk(tmp_path, "run", str(raw), "--out", str(read_only), "--force")
    assert_one_line_failure(
        result, 4, r"cannot write the outputs \(Read-only file system: .*\); the published ones are unchanged"
    )
    assert snapshot(read_only) == before


def test_a_held_lock_fails_in_one_line_before_any_work(tmp_path):
    raw = seeds_folder(tmp_path / "raw")
    holder = hold_lock(tmp_path / "clean", 300)
    try:
        result = run_installed_copydesk(tmp_path, "run", str(raw), "--out", str(tmp_path / "clean"))
    finally:
        holder.kill()
        holder.wait()
    assert_one_line_failure(result, 3, r".*clean is being written by another copydesk run \(pid \d+ since .*")


@pytest.mark.parametrize("size", ["0", "-3", "ten", "2.5"])
def test_a_batch_size_that_is_not_a_positive_number_fails_in_one_line(tmp_path, size):
    raw = seeds_folder(tmp_path / "raw")
    result = run_installed_copydesk(tmp_path, "run", str(raw), "--out", str(tmp_path / "clean"), "--batch-size", size)
    assert_one_line_failure(
        result,
        2,
        rf"argument --batch-size: must be a whole number of at least 1, not '{re.escape(size)}' \(see copydesk run --help\)",
        prog="copydesk run",
    )
    assert not (tmp_path / "clean").exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[dedup]\njaccard_threshold = "high"\n', r"\[dedup\] jaccard_threshold: Input should be a valid number.*"),
        ("[dedup]\njaccard_threshold = 7\n", r"\[dedup\] jaccard_threshold: .* less than or equal to 1 \(got 7\)"),
        ("[dedupe]\nmin_words = 4\n", r"\[dedupe\]: unknown section"),
        ("[spelling]\nmin_word_lenght = 4\n", r"\[spelling\] min_word_lenght: unknown key"),
        (b"[dedup]\nseed = '\xff'\n", r"cannot read config file .*: .*can't decode byte 0xff.*"),
    ],
    ids=["wrong-type", "out-of-range", "unknown-section", "unknown-key", "not-utf8"],
)
def test_a_bad_config_fails_in_one_line_naming_the_key(tmp_path, text, message):
    config = tmp_path / "mine.toml"
    config.write_bytes(text if isinstance(text, bytes) else text.encode())
    raw = seeds_folder(tmp_path / "raw")
    result = run_installed_copydesk(
        tmp_path, "run", str(raw), "--out", str(tmp_path / "clean"), "--config", str(config)
    )
    assert_one_line_failure(result, 2, rf"bad config: (.*mine\.toml: )?{message}")
    assert not (tmp_path / "clean").exists()


def test_an_unreadable_config_fails_in_one_line(tmp_path):
    raw = seeds_folder(tmp_path / "raw")
    for config, message in ((tmp_path / "missing.toml", "config file not found"), (tmp_path, "cannot read")):
        result = run_installed_copydesk(
            tmp_path, "run", str(raw), "--out", str(tmp_path / "out"), "--config", str(config)
        )
        assert_one_line_failure(result, 2, rf"bad config: {message}.*")


def test_a_failed_run_removes_its_staging_folder_and_the_next_clears_a_killed_ones(tmp_path):
    out = tmp_path / "clean"
    with staging_folder(out) as first:
        (first / "corpus.jsonl").write_text("{}\n", encoding="utf-8")
        publish(out, first, ["corpus.jsonl"])
    with pytest.raises(OSError, match="disk full"), staging_folder(out) as failed:
        (failed / "corpus.jsonl").write_text("{", encoding="utf-8")
        raise OSError(28, "disk full")
    assert not failed.exists()
    assert sorted(os.listdir(out / ".runs")) == [first.name]

    killed = out / ".runs" / f"{first.name}-killed"  # a later run folder that never published
    killed.mkdir()
    with staging_folder(out) as second:
        assert not killed.exists() and (out / ".runs" / first.name).is_dir(), "the published run stays"
        publish(out, second, ["corpus.jsonl"])
    assert sorted(os.listdir(out / ".runs")) == sorted([first.name, second.name])
