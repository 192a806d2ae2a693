"""One attempt of a delivery: a signed POST, no redirects followed, bounded by a timeout."""

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import SplitResult, urlsplit

import requests
from requests.adapters import HTTPAdapter
from standardwebhooks.webhooks import Webhook as Signer

from slotkeeper.outbound.network import Destinations


class PinnedHost(HTTPAdapter):
    """Connects to the address in the URL (the one the destination check approved) while
    TLS still names and verifies the original host, so a DNS answer that changes between
    the check and the connection cannot redirect the request."""

    def __init__(self, hostname: str):
        self.hostname = hostname
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args, **kwargs):
        # urllib3 drops these two for plain http
        kwargs.update(server_hostname=self.hostname, assert_hostname=self.hostname)
        super().init_poolmanager(*args, **kwargs)


def _at_address(parts: SplitResult, address: str) -> str:
    host = f"[{address}]" if ":" in address else address
    netloc = f"{host}:{parts.port}" if parts.port else host
    return parts._replace(netloc=netloc).geturl()


def _host_header(parts: SplitResult) -> str:
    hostname = parts.hostname or ""
    host = f"[{hostname}]" if ":" in hostname else hostname
    return f"{host}:{parts.port}" if parts.port else host


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
        vetted = self.destinations.vet(url)
        if vetted.refusal is not None or vetted.address is None:
            return Outcome(None, f"not sent: the url must be {vetted.refusal}")
        parts = urlsplit(url)
        hostname = parts.hostname or ""
        headers = {
            "host": _host_header(parts),
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
                session.mount(f"{parts.scheme}://", PinnedHost(hostname))
                response = session.post(
                    _at_address(parts, vetted.address),
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
