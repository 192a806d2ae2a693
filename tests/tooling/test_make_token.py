"""`make -s token SUB=alice`: a development token from a fresh shell, no virtual environment
activated (issue 15, item 8)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from slotkeeper.auth.tokens import Verifier, verify
from tests.auth.conftest import SECRET

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def make_token(*args: str, **env: str) -> subprocess.CompletedProcess:
    """`make -s token ...` in a shell whose PATH has no virtual environment on it; the
    Makefile's BIN points at this interpreter's, and its install step is taken as done."""
    shell_env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"VIRTUAL_ENV", "AUTH_JWT_PUBLIC_KEY", "AUTH_JWT_SECRET"}
    }
    shell_env["PATH"] = "/usr/local/bin:/usr/bin:/bin"
    shell_env.update(env)
    bin_dir = str(Path(sys.executable).parent)
    return subprocess.run(
        [
            "make",
            "-s",
            "--no-print-directory",
            "-o",
            ".venv/.installed",
            "token",
            f"BIN={bin_dir}",
            *args,
        ],
        cwd=ROOT,
        env=shell_env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_make_token_prints_only_a_token_the_service_accepts(tmp_path):
    done = make_token(
        "SUB=alice",
        "ROLE=admin",
        "MINUTES=5",
        AUTH_JWT_SECRET=SECRET,
        EXPIRY_JOB_ENABLED="false",
        LOG_LEVEL="WARNING",
    )
    assert done.returncode == 0, done.stderr
    claims = verify(done.stdout.strip(), Verifier(SECRET, "HS256"))
    assert (claims.sub, claims.roles) == ("alice", ("admin",))
    assert done.stdout.count("\n") == 1  # usable as $(make -s token SUB=alice)


def test_make_token_without_sub_says_how_to_call_it():
    done = make_token(AUTH_JWT_SECRET=SECRET)
    assert done.returncode != 0 and "SUB=alice" in done.stderr and done.stdout == ""


def test_make_token_without_a_secret_says_authentication_is_off():
    done = make_token("SUB=alice", EXPIRY_JOB_ENABLED="false")
    assert done.returncode != 0 and "AUTH_JWT_SECRET is not set" in done.stderr
