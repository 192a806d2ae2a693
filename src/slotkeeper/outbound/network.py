"""Which destinations a webhook may reach: resolve the host, then judge every address.

A name that resolves to a loopback, private, link-local or multicast address is refused
(unless private networks are allowed), so that a webhook cannot be aimed at the service's
own network. The check runs on subscribe and again before every attempt, since DNS answers
can change in between.
"""

import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from slotkeeper.domain.events import is_public_address

Resolver = Callable[[str, int], list[str]]


def resolve(host: str, port: int) -> list[str]:
    """The addresses a TCP connection to host:port may use."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


@dataclass
class Destinations:
    allow_private: bool = False
    resolver: Resolver | None = None  # None: this module's `resolve`, looked up at each check

    def refusal(self, url: str) -> str | None:
        """Why a delivery may not be sent to `url`, or None when it may."""
        return self.vet(url).refusal

    def vet(self, url: str) -> "Vetted":
        """Resolve the host of `url` and judge its addresses: the refusal, or the address to
        connect to (so that the connection goes where the check looked)."""
        try:
            parts = urlsplit(url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            return Vetted("a URL with a valid host and port")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return Vetted("an http or https URL with a host, like https://example.com/hooks")
        try:
            addresses = (self.resolver or resolve)(parts.hostname, port)
        except (OSError, UnicodeError):
            addresses = []
        if not addresses:
            return Vetted(f"a host that resolves; {parts.hostname} does not")
        refused = [a for a in addresses if not is_public_address(a)]
        if refused and not self.allow_private:
            return Vetted(
                f"a public destination; {parts.hostname} resolves to {refused[0]}, a "
                f"loopback, private, link-local or multicast address"
            )
        return Vetted(None, addresses[0])


@dataclass(frozen=True)
class Vetted:
    refusal: str | None
    address: str | None = None
