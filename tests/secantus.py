"""A SecantusDB server (PyPI `secantusdb`, GPL-2.0: a test tool, never imported by src/) as a
child process: a MongoDB wire-protocol server on WiredTiger that advertises a single-node
replica set, so pymongo's real network path, retryable writes and majority writes run.

`make test` runs the suite a second time with `--secantusdb`, which starts one on a free
loopback port with a temporary data directory and stops it when pytest ends, also on failure.
The outage tests start their own, to stop and restart it on the same data directory.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import PyMongoError

BOOT_SECONDS = 60
STOP_SECONDS = 15


def free_port() -> int:
    """A loopback port nothing listens on (bound and released at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _scratch_dir() -> str | None:
    """/dev/shm when it has room: a killed server loses nothing there either (its writes are in
    the page cache), and the fsync of every journaled write costs nothing."""
    shm = Path("/dev/shm")
    try:
        if shm.is_dir() and os.access(shm, os.W_OK) and shutil.disk_usage(shm).free > 1 << 30:
            return str(shm)
    except OSError:
        pass
    return None  # the system's temporary directory


# The server keeps the reply of every retryable write for 30 minutes, as mongod does, and scans
# (past 10 000 of them: sorts) that record on every write: over a whole test run each write
# costs more than the last. A driver retries within seconds, so tests keep them a minute.
RETRY_RECORD_SECONDS = 60.0
LAUNCH = (
    "import sys, secantus.transactions as t, secantus.cli as cli; "
    f"t._RETRYABLE_RECORD_LIFETIME_SECONDS = {RETRY_RECORD_SECONDS}; "
    "sys.exit(cli.main())"
)


def _daemon() -> list[str]:
    """secantusd-py, as its console script runs it, with the test-run setting above."""
    try:
        import secantus.transactions  # noqa: F401 - only to fail early with a clear message
    except ImportError:
        raise RuntimeError(
            "secantusdb not found: install the development requirements "
            "(pip install -r requirements-dev.txt)"
        ) from None
    return [sys.executable, "-c", LAUNCH]


class SecantusServer:
    """One secantusd-py process on 127.0.0.1; `stop` and `start` again keep port and data."""

    def __init__(
        self, data_dir: Path | None = None, port: int | None = None, log_path: Path | None = None
    ):
        self._own_dir = data_dir is None
        self.data_dir = (
            Path(tempfile.mkdtemp(prefix="secantus-", dir=_scratch_dir()))
            if data_dir is None
            else Path(data_dir)
        )
        self.port = port or free_port()
        self.log_path = log_path or self.data_dir.with_name(self.data_dir.name + ".log")
        self.process: subprocess.Popen | None = None

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/"

    def start(self) -> "SecantusServer":
        argv = [
            *_daemon(),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--storage-path",
            str(self.data_dir / "db"),
            "--log-level",
            "WARNING",
            "--enable-test-commands",
        ]
        with open(self.log_path, "ab") as log:
            # its own process group: Ctrl-C in the terminal reaches pytest, which stops it
            self.process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_until_it_answers()
        return self

    def _wait_until_it_answers(self) -> None:
        deadline = time.monotonic() + BOOT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"secantusd-py exited with {self.process.returncode}:\n{self.log()}"
                )
            if self.answers():
                return
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"secantusd-py did not answer within {BOOT_SECONDS} s:\n{self.log()}")

    def answers(self) -> bool:
        client = MongoClient(
            self.uri, serverSelectionTimeoutMS=300, connectTimeoutMS=300, directConnection=True
        )
        try:
            client.admin.command("ping")
            return True
        except PyMongoError:
            return False
        finally:
            client.close()

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        """SIGTERM (a clean WiredTiger close), SIGKILL if it does not exit in time."""
        if not self.running:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """SIGKILL: the server dies mid-operation; WiredTiger recovers from its log at start."""
        if self.running:
            self.process.kill()
        if self.process is not None:
            self.process.wait(timeout=STOP_SECONDS)

    def close(self) -> None:
        """Stop it and remove a data directory this object created."""
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            with_log = self.log_path
            if with_log.exists():
                os.unlink(with_log)
