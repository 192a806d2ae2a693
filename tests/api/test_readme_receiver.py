"""The README's webhook receiver, run as written, verifies a real delivery and refuses a
forged one."""

import re
from pathlib import Path

from slotkeeper import create_app
from slotkeeper.context import utc_now
from slotkeeper.database.connection import drop_all
from slotkeeper.jobs.webhook_job import run_webhooks
from tests.conftest import Api, FakeClock, test_settings
from tests.receiver import Receiver

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_receiver(secret: str, monkeypatch):
    text = README.read_text(encoding="utf-8")
    block = re.search(r"<!-- receiver: .*? -->\n```python\n(.*?)```", text, re.S)
    assert block, "the README has no receiver block"
    monkeypatch.setenv("SLOTKEEPER_WEBHOOK_SECRET", secret)
    namespace: dict = {"__name__": "readme_receiver"}
    exec(compile(block.group(1), str(README), "exec"), namespace)  # noqa: S102 -- our README
    return namespace["app"].test_client()


def test_the_readme_receiver_accepts_a_real_delivery_once_and_refuses_a_forged_one(
    monkeypatch, capsys
):
    app = create_app(test_settings(webhook_allow_private_networks=True), clock=FakeClock(utc_now()))
    with app.app_context():
        drop_all()
    api = Api(app.test_client())
    with Receiver() as receiver:
        secret = api.client.post("/api/v1/webhooks", json={"url": receiver.url}).json["secret"]
        booked = api.book(api.slot()["id"]).json
        run_webhooks(app)
        [delivery] = receiver.received
    client = readme_receiver(secret, monkeypatch)
    for _ in range(2):  # a retry of the same event is handled once
        answer = client.post("/hooks", data=delivery.body, headers=delivery.headers)
        assert answer.status_code == 204
    assert capsys.readouterr().out == f"appointment.booked {booked['id']} BOOKED\n"
    forged = delivery.body.replace(b"BOOKED", b"CANCELLED")
    assert client.post("/hooks", data=forged, headers=delivery.headers).status_code == 400
