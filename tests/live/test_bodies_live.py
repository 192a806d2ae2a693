"""Bodies a real server receives broken or too big: a 4xx in the error shape, never a 500
(issue 15, item 6; API.md: "A body over 1 MiB is 413, in the same error shape")."""

import json

import pytest
import requests

MIB = 1024 * 1024


def first_free_slot(server) -> str:
    slots = requests.get(
        f"{server.url}/api/v1/slots", params={"available": "true", "page_size": 1}, timeout=10
    ).json()
    return slots[0]["id"]


def status_and_body(answer: bytes) -> tuple[int, dict]:
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body) if body.strip() else {}


def post(path: str, body: bytes, *headers: str) -> bytes:
    lines = [
        f"POST {path} HTTP/1.1",
        "Host: 127.0.0.1",
        "Content-Type: application/json",
        "Connection: close",
        *headers,
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@pytest.mark.parametrize("path", ["/api/v1/appointments/book", "/api/v1/services"])
def test_a_body_shorter_than_its_content_length_is_a_400(live_server, path):
    body = json.dumps({"slotId": first_free_slot(live_server), "userId": "ada"}).encode()
    mark = len(live_server.log())
    status, answer = status_and_body(
        live_server.raw(post(path, body[:10], f"Content-Length: {len(body)}"))
    )
    assert status == 400 and answer["code"] == 400 and answer["message"], answer
    assert "Traceback" not in "\n".join(live_server.log_lines_after(mark))


@pytest.mark.parametrize(
    "chunks, code",
    [(b"zz\r\n{}\r\n0\r\n\r\n", 400), (b'5\r\n{"a\r\n', 400), (b"ffffffff\r\n{", 413)],
)  # a chunk of 4 GiB
def test_a_malformed_chunked_body_is_a_4xx_in_the_error_shape(live_server, chunks, code):
    mark = len(live_server.log())
    status, answer = status_and_body(
        live_server.raw(post("/api/v1/appointments/hold", chunks, "Transfer-Encoding: chunked"))
    )
    assert status == code and answer["code"] == code and answer["message"], answer
    assert "Traceback" not in "\n".join(live_server.log_lines_after(mark))


def test_a_body_over_one_mib_is_a_413_in_the_error_shape(live_server):
    body = json.dumps({"name": "x" * MIB}).encode()
    response = requests.post(
        f"{live_server.url}/api/v1/services",
        data=body,
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 413
    assert response.json() == {
        "code": 413,
        "status": "Request Entity Too Large",
        "message": "The body is larger than 1 MiB (1048576 bytes); send a smaller one.",
    }


def test_a_chunked_body_over_one_mib_is_a_413_too(live_server):
    def chunks():
        yield b'{"name": "'
        for _ in range(20):
            yield b"x" * 65536
        yield b'"}'

    response = requests.post(
        f"{live_server.url}/api/v1/appointments/book",
        data=chunks(),
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 413 and response.json()["code"] == 413
