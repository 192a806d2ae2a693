"""The README's walkthrough, run as written against a live `make run` server: each `#>` line
is what the command before it must print (issue 15, item 1)."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECTION = re.compile(r"<!-- walkthrough -->(.*?)<!-- /walkthrough -->", re.S)
SHELL_BLOCK = re.compile(r"```sh\n(.*?)```", re.S)
VARIABLE = re.compile(r"\$([A-Z_]+)")
STEPS = [
    "/appointments/hold",
    "/confirm",
    "/appointments/book",
    "/cancel",
    "/reschedule",
    "Idempotency-Key",
    "appointments?userId=",
    "SLOT_UNAVAILABLE",
]

pytestmark = pytest.mark.skipif(
    shutil.which("curl") is None or shutil.which("bash") is None,
    reason="the walkthrough needs curl and bash",
)


def walkthrough(readme: str) -> str:
    sections = SECTION.findall(readme)
    assert len(sections) == 1, "README.md has one walkthrough section"
    return "\n".join(SHELL_BLOCK.findall(sections[0]))


def expected_lines(script: str) -> list[str]:
    return [line[len("#> ") :] for line in script.splitlines() if line.startswith("#> ")]


def run(script: str, port: int) -> subprocess.CompletedProcess:
    names = sorted({name for line in expected_lines(script) for name in VARIABLE.findall(line)})
    dump = "".join(f'\necho "@@{name}=${name}"' for name in names)
    environment = {**os.environ, "PORT": str(port)}
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script + dump],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_walkthrough_covers_the_whole_lifecycle():
    script = walkthrough((ROOT / "README.md").read_text(encoding="utf-8"))
    assert [step for step in STEPS if step not in script] == []
    assert len(expected_lines(script)) >= 10
    assert "localhost:8000" not in script and "/api/v1" in script


def test_the_readme_walkthrough_prints_what_it_says(live_server):
    script = walkthrough((ROOT / "README.md").read_text(encoding="utf-8"))
    done = run(script, live_server.port)
    assert done.returncode == 0, done.stderr
    printed, values = [], {}
    for line in done.stdout.splitlines():
        if line.startswith("@@"):
            name, _, value = line[2:].partition("=")
            values[name] = value
        else:
            printed.append(line)
    expected = [VARIABLE.sub(lambda m: values[m.group(1)], line) for line in expected_lines(script)]
    assert printed == expected


def test_a_wrong_expectation_in_the_walkthrough_is_caught(live_server):
    """The comparison is real: a README that promised another status would fail."""
    script = walkthrough((ROOT / "README.md").read_text(encoding="utf-8"))
    wrong = script.replace("#> PENDING", "#> BOOKED", 1)
    done = run(wrong, live_server.port)
    printed = [line for line in done.stdout.splitlines() if not line.startswith("@@")]
    assert printed != expected_lines(wrong)
