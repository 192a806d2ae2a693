"""A real webhook receiver for the tests: a threaded HTTP server on 127.0.0.1.

It answers each POST by the next step of its script (a status code, a delay, a redirect,
or waiting for the test to let it go) and records what it received. Once the script runs
out it repeats its last step.
"""

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Step:
    status: int = 204
    delay: float = 0.0  # seconds before answering (a slow or timing-out receiver)
    location: str | None = None  # a redirect's target
    hold: threading.Event | None = None  # answer only once the test sets this


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes


@dataclass
class Receiver:
    script: list[Step] = field(default_factory=lambda: [Step()])
    received: list[Received] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self):
        self._lock = threading.Lock()
        self._turn = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def answer(self, *steps: Step) -> None:
        with self._lock:
            self.script, self._turn = list(steps), 0

    def _next(self) -> Step:
        with self._lock:
            step = self.script[min(self._turn, len(self.script) - 1)]
            self._turn += 1
            return step

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 -- the name http.server calls
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                with receiver._lock:
                    receiver.received.append(Received(self.path, dict(self.headers), body))
                receiver.arrived.set()
                step = receiver._next()
                if step.hold is not None:
                    step.hold.wait(10)
                if step.delay:
                    time.sleep(step.delay)  # the receiver's own slowness, in real time
                self.send_response(step.status)
                if step.location:
                    self.send_header("Location", step.location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        return Handler

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
