"""One attempt of a delivery: a signed POST, no redirects followed, bounded by a timeout."""

from dataclasses import dataclass
from datetime import datetime

import requests
from standardwebhooks.webhooks import Webhook as Signer

from slotkeeper.outbound.network import Destinations


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None

    @property
    def succeeded(self) -> bool:
        return self.error is None


@dataclass
class WebhookSender:
    timeout_seconds: float
    destinations: Destinations

    def send(self, url: str, secret: str, message_id: str, body: str, at: datetime) -> Outcome:
        """POST `body` to `url`, signed as Standard Webhooks says, with `at` as its timestamp."""
        refusal = self.destinations.refusal(url)
        if refusal is not None:
            return Outcome(None, f"not sent: the url must be {refusal}")
        headers = {
            "content-type": "application/json",
            "user-agent": "slotkeeper-webhooks",
            "webhook-id": message_id,
            "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": Signer(secret).sign(message_id, at, body),
        }
        timeout = self.timeout_seconds
        try:
            with requests.Session() as session:
                session.trust_env = False  # no proxy or .netrc from the environment
                response = session.post(
                    url,
                    data=body.encode(),
                    headers=headers,
                    timeout=(timeout, timeout),
                    allow_redirects=False,
                    stream=True,
                )
                response.close()  # the answer's body is not read: only its status counts
        except requests.Timeout:
            return Outcome(None, f"no answer within {timeout:g} s")
        except requests.RequestException as err:
            return Outcome(None, f"could not connect: {type(err).__name__}")
        code = response.status_code
        if 200 <= code < 300:
            return Outcome(code, None)
        if 300 <= code < 400:
            return Outcome(code, f"answered {code}, a redirect (redirects are not followed)")
        return Outcome(code, f"answered {code}")
