"""Instructions per request, counted by valgrind's callgrind: a figure the neighbours do not move.

    python bench/instructions.py [--root CHECKOUT] [--what book|refused-hold|health]
                                 [--level INFO|WARNING] [--requests 60]

On a shared machine the CPU time of a request moves by a fifth from one run to the next, more
than most single changes gain; the number of instructions it executes moves by well under
one per cent. This serves CHECKOUT's app in process (Flask's test client, the embedded engine,
as bench/profile_growth.py seeds it) under callgrind with counting off, warms it up with 100
requests, then counts the instructions of --requests more. Python runs some 50 times slower
under callgrind: a count takes a minute or two. Compare checkouts with the same arguments.
"""

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def worker(root: str, what: str, count: int) -> None:
    sys.path.insert(0, str(HERE))
    import profile_growth

    sys.path[:0] = [str(Path(root) / "src"), root]  # this checkout's slotkeeper, not ours
    profile_growth.ROOT = Path(root)
    client, free = profile_growth.seeded_client(count + 150)
    full = free.pop()
    client.post("/api/v1/appointments/book", json={"slotId": full, "userId": "first"})
    expected = {"book": 201, "refused-hold": 409, "health": 200}[what]

    def request(i: int):
        if what == "book":
            body = {"slotId": free[i], "userId": f"p{i}"}
            return client.post("/api/v1/appointments/book", json=body)
        if what == "refused-hold":
            body = {"slotId": full, "userId": f"r{i}"}
            return client.post("/api/v1/appointments/hold", json=body)
        return client.get("/api/v1/health")

    out = sys.stdout
    sys.stdout = sys.stderr = open(os.devnull, "w")  # the logs, at INFO
    for i in range(100):
        assert request(i).status_code == expected
    print("ready", file=out, flush=True)
    sys.stdin.readline()
    for i in range(100, 100 + count):
        assert request(i).status_code == expected
    print("done", file=out, flush=True)
    sys.stdin.readline()


def count(root: str, what: str, level: str, requests: int) -> int:
    with tempfile.TemporaryDirectory() as scratch:
        dump = Path(scratch) / "callgrind.out"
        command = ["valgrind", "--tool=callgrind", "--instr-atstart=no"]
        command += [f"--callgrind-out-file={dump}", sys.executable, __file__]
        command += ["--worker", "--root", root, "--what", what, "--requests", str(requests)]
        environment = {**os.environ, "LOG_LEVEL": level, "PYTHONHASHSEED": "0"}
        environment.pop("MONGODB_URI", None)
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=environment,
        )
        assert process.stdin is not None and process.stdout is not None
        try:
            if process.stdout.readline().strip() != "ready":
                raise RuntimeError("the app did not start under callgrind")
            switch = ["callgrind_control", "--instr=on", str(process.pid)]
            subprocess.run(switch, check=True, capture_output=True)
            process.stdin.write("go\n")
            process.stdin.flush()
            if process.stdout.readline().strip() != "done":
                raise RuntimeError("the requests failed under callgrind")
            switch[1] = "--instr=off"
            subprocess.run(switch, check=True, capture_output=True)
            process.stdin.write("end\n")
            process.stdin.close()
            process.wait(120)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        totals = [line for line in dump.read_text().splitlines() if line.startswith("totals:")]
        return int(totals[0].split()[1]) // requests


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=str(HERE.parent), help="the checkout to count")
    parser.add_argument("--what", choices=("book", "refused-hold", "health"), default="book")
    parser.add_argument("--level", default="INFO")
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    root = str(Path(args.root).resolve())
    if args.worker:
        worker(root, args.what, args.requests)
        return 0
    per_request = count(root, args.what, args.level, args.requests)
    print(f"{args.what} {args.level} {per_request:,} instructions per request  ({root})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
