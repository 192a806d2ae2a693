"""gunicorn with gunicorn.conf.py: serves the API, stops cleanly (scheduler too) on SIGTERM."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
BOOT_SECONDS = 30
EXIT_SECONDS = 10


def wait_for(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"no {what} within {seconds} s")


class Gunicorn:
    """gunicorn as a subprocess on a loopback port of its choosing."""

    def __init__(self, log: Path):
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"MONGODB_URI", "PROMETHEUS_MULTIPROC_DIR", "GUNICORN_CMD_ARGS"}
        }
        env.update(
            PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
            HOST="127.0.0.1",
            PORT="0",
            WEB_CONCURRENCY="1",
            WEB_THREADS="2",
            WEB_GRACEFUL_TIMEOUT="5",
            EXPIRY_JOB_ENABLED="true",
            EXPIRY_SWEEP_SECONDS="1",
            LOG_LEVEL="INFO",
        )
        self.log = log
        with open(log, "wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.url = f"http://127.0.0.1:{wait_for(self.port, BOOT_SECONDS, 'listening port')}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def port(self) -> str | None:
        if self.process.poll() is not None:
            raise AssertionError(f"gunicorn exited early:\n{self.output()}")
        found = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", self.output())
        return found and found.group(1)

    def healthy(self) -> bool:
        try:
            return requests.get(self.url + "/api/v1/health", timeout=2).status_code == 200
        except requests.ConnectionError:
            return False

    def call(self, method: str, path: str, json=None) -> requests.Response:
        return requests.request(method, self.url + "/api/v1" + path, json=json, timeout=10)


@pytest.fixture
def gunicorn(tmp_path):
    server = Gunicorn(tmp_path / "gunicorn.log")
    yield server
    if server.process.poll() is None:
        server.process.kill()
        server.process.wait(timeout=EXIT_SECONDS)


def test_gunicorn_serves_a_hold_confirm_cancel_flow_and_stops_cleanly_on_sigterm(gunicorn):
    wait_for(gunicorn.healthy, BOOT_SECONDS, "healthy answer")
    service = gunicorn.call("POST", "/services", {"name": "Dr. Who"}).json()
    slot = gunicorn.call(
        "POST",
        "/slots",
        {
            "serviceId": service["id"],
            "startTime": "2099-01-05T09:00:00Z",
            "endTime": "2099-01-05T09:30:00Z",
        },
    ).json()
    hold = gunicorn.call("POST", "/appointments/hold", {"slotId": slot["id"], "userId": "ada"})
    assert hold.status_code == 201 and hold.headers["X-Request-ID"]
    appointment = hold.json()["id"]
    assert gunicorn.call("GET", f"/slots/{slot['id']}").json()["status"] == "LOCKED"
    path = f"/appointments/{appointment}"
    assert gunicorn.call("POST", path + "/confirm").json()["status"] == "BOOKED"
    assert gunicorn.call("PATCH", path + "/cancel").json()["status"] == "CANCELLED"
    assert gunicorn.call("GET", f"/slots/{slot['id']}").json()["status"] == "AVAILABLE"
    metrics = requests.get(gunicorn.url + "/metrics", timeout=5).text
    assert "slotkeeper_holds_total 1.0" in metrics

    gunicorn.process.send_signal(signal.SIGTERM)
    assert gunicorn.process.wait(timeout=EXIT_SECONDS) == 0
    log = gunicorn.output()
    assert "expiry scheduler stopped" in log and "Shutting down: Master" in log
    assert "Traceback" not in log


def refusal(*flags: str, **settings: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "MONGODB_URI"}
    env.update(PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT)]), PORT="0", **settings)
    argv = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", *flags]
    return subprocess.run(
        argv + ["wsgi:app"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=BOOT_SECONDS
    )


def test_gunicorn_refuses_to_preload_the_app_in_the_master():
    done = refusal("--preload")
    assert done.returncode != 0 and "preload_app must stay off" in done.stderr


def test_gunicorn_refuses_several_workers_on_the_single_process_embedded_engine():
    done = refusal(WEB_CONCURRENCY="2")
    assert done.returncode != 0 and "WEB_CONCURRENCY must be 1" in done.stderr
