"""A live `make run` server (`python -m slotkeeper run`: embedded engine, demo data) on a free
loopback port, for what only a real HTTP server shows: raw bodies, its log lines, the
README's shell walkthrough."""

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    port: int
    log_path: Path
    process: subprocess.Popen

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def log_lines_after(self, mark: int) -> list[str]:
        return self.log()[mark:].splitlines()

    def raw(self, request: bytes, shut_write: bool = True) -> bytes:
        """Send `request` as bytes, stop writing, and read the whole answer."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
            sock.sendall(request)
            if shut_write:
                sock.shutdown(socket.SHUT_WR)
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        return answer


def start_server(tmp_path: Path, **env: str) -> LiveServer:
    port = free_port()
    log_path = tmp_path / "server.log"
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MONGODB_", "AUTH_", "LOG_", "RATE_LIMIT_"))
    }
    environment.update(
        {
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "PYTHONUNBUFFERED": "1",
            "EXPIRY_JOB_ENABLED": "false",
            **env,
        }
    )
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "slotkeeper", "run"],
            cwd=tmp_path,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(port, log_path, process)
    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(f"{server.url}/api/v1/health", timeout=2).status_code == 200:
                return server
        except requests.ConnectionError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            stop_server(server)
            raise RuntimeError(f"the server did not start:\n{server.log()}")
        time.sleep(0.1)  # polling a process we do not control; no clock to inject


def stop_server(server: LiveServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    server = start_server(tmp_path_factory.mktemp("live"))
    yield server
    stop_server(server)
