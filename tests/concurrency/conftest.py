"""A real threaded HTTP server on loopback, serving the test app, for races over HTTP."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from werkzeug.serving import make_server


class LiveServer:
    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}/api/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._local = threading.local()

    def session(self) -> requests.Session:
        if not hasattr(self._local, "session"):  # one keep-alive connection per client thread
            self._local.session = requests.Session()
        return self._local.session

    def post(self, path: str, json=None, **headers):
        return self.session().post(self.url + path, json=json, headers=headers, timeout=30)

    def patch(self, path: str):
        return self.session().patch(self.url + path, timeout=30)

    def get(self, path: str, **params):
        return self.session().get(self.url + path, params=params, timeout=30)

    def hold(self, slot_id: str, user: str, seats: int = 1, **headers):
        return self.post(
            "/appointments/hold", {"slotId": slot_id, "userId": user, "seats": seats}, **headers
        )

    def book(self, slot_id: str, user: str, seats: int = 1, **headers):
        return self.post(
            "/appointments/book", {"slotId": slot_id, "userId": user, "seats": seats}, **headers
        )

    def race(self, call, count: int, threads: int = 50) -> list:
        """Run `call(i)` for i in range(count) from `threads` threads at once."""
        with ThreadPoolExecutor(max_workers=threads) as pool:
            return list(pool.map(call, range(count)))


@pytest.fixture
def live_server(app):
    server = LiveServer(app)
    server.thread.start()
    yield server
    server.server.shutdown()
    server.thread.join(timeout=10)
