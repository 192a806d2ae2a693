"""Bearer tokens: JWTs verified locally with PyJWT against one configured key and algorithm.

Plain functions, no Flask: config.py checks the settings with them, guard.py verifies each
request's token with them, cli.py mints development tokens with them.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

ADMIN_ROLE = "admin"
MAX_SUBJECT = 200  # the contract's limit for userId, which a token's sub becomes
# RFC 7518 section 3.2: an HMAC key at least as long as the hash output
HMAC_KEY_BYTES = {"HS256": 32, "HS384": 48, "HS512": 64}
RSA_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512")
EC_CURVES = {"ES256": ec.SECP256R1, "ES384": ec.SECP384R1, "ES512": ec.SECP521R1}
MIN_RSA_BITS = 2048


class InvalidToken(Exception):
    """A token that does not prove who the caller is; the message says why."""


@dataclass(frozen=True)
class Verifier:
    """What a token must satisfy: signed by `key` with `algorithm` (and no other), for us."""

    key: "str | PublicKey"
    algorithm: str
    audience: str | None = None
    issuer: str | None = None
    leeway_seconds: int = 30


@dataclass(frozen=True)
class Claims:
    sub: str
    roles: tuple[str, ...] = ()

    @property
    def is_admin(self) -> bool:
        return ADMIN_ROLE in self.roles


def algorithm_for(secret: bool, requested: str | None) -> str:
    """The one algorithm accepted: HS256 for a secret, RS256 for a public key, unless named."""
    if requested is None:
        return "HS256" if secret else "RS256"
    allowed = tuple(HMAC_KEY_BYTES) if secret else RSA_ALGORITHMS + tuple(EC_CURVES)
    if requested.upper() not in allowed:
        kind = "a secret" if secret else "a public key"
        raise ValueError(f"must be one of {', '.join(allowed)} with {kind}, got {requested!r}")
    return requested.upper()


def check_secret(secret: str, algorithm: str) -> None:
    needed, length = HMAC_KEY_BYTES[algorithm], len(secret.encode())
    if length < needed:
        raise ValueError(
            f"must be at least {needed} bytes for {algorithm} (RFC 7518 3.2), got {length}"
        )


PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey


def load_public_key(pem: str, algorithm: str) -> PublicKey:
    """The public key in a PEM text, checked to be of the kind `algorithm` verifies with."""
    try:
        key = load_pem_public_key(pem.encode())
    except (ValueError, TypeError, UnsupportedAlgorithm) as err:
        raise ValueError(f"is not a readable PEM public key ({err})") from None
    if algorithm in EC_CURVES:
        curve = EC_CURVES[algorithm]
        if not (isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, curve)):
            raise ValueError(f"must be an EC key on curve {curve.name} for {algorithm}")
    elif not isinstance(key, rsa.RSAPublicKey):
        raise ValueError(f"must be an RSA public key for {algorithm}")
    elif key.key_size < MIN_RSA_BITS:
        raise ValueError(f"must be an RSA key of at least {MIN_RSA_BITS} bits")
    return key


def verify(token: str, verifier: Verifier) -> Claims:
    """The claims of a token signed with the verifier's key and algorithm, unexpired, for us."""
    try:
        claims = jwt.decode(
            token,
            verifier.key,
            algorithms=[verifier.algorithm],
            audience=verifier.audience,
            issuer=verifier.issuer,
            leeway=verifier.leeway_seconds,
            options={"require": ["exp", "sub"]},
        )
    except jwt.PyJWTError as err:
        raise InvalidToken(str(err)) from None
    return Claims(_subject(claims), _roles(claims))


def _subject(claims: dict) -> str:
    sub = claims["sub"]  # PyJWT has checked that it is there and a string
    if not 1 <= len(sub) <= MAX_SUBJECT:
        raise InvalidToken(f"sub must be 1 to {MAX_SUBJECT} characters")
    return sub


def _roles(claims: dict) -> tuple[str, ...]:
    roles = claims.get("roles", [])
    if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
        raise InvalidToken("roles must be a list of strings")
    return tuple(roles)


def mint(
    secret: str,
    sub: str,
    roles: Iterable[str],
    lifetime: timedelta,
    now: datetime,
    algorithm: str = "HS256",
    audience: str | None = None,
    issuer: str | None = None,
) -> str:
    """A token signed with a shared secret, as an identity provider would issue it."""
    claims = {
        "sub": sub,
        "roles": list(roles),
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
    }
    if audience:
        claims["aud"] = audience
    if issuer:
        claims["iss"] = issuer
    return jwt.encode(claims, secret, algorithm=algorithm)
