"""tokens.verify: only the configured key and algorithm, an unexpired token, for us."""

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest

from slotkeeper.auth.tokens import InvalidToken, Verifier, load_public_key, verify
from tests.auth.conftest import SECRET, claims, hs256, pem

HS = Verifier(SECRET, "HS256")


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def handmade(header: dict, payload: dict, sign=lambda signing_input: b"") -> str:
    """A token built by hand, the way an attacker would, whatever PyJWT allows."""
    head = b64(json.dumps(header).encode()) + "." + b64(json.dumps(payload).encode())
    return head + "." + b64(sign(head.encode()))


def refused(token: str, verifier: Verifier = HS) -> str:
    with pytest.raises(InvalidToken) as err:
        verify(token, verifier)
    return str(err.value)


def test_a_good_token_names_the_user_and_roles():
    found = verify(hs256(sub="alice", roles=["admin", "auditor"]), HS)
    assert (found.sub, found.roles, found.is_admin) == ("alice", ("admin", "auditor"), True)


def test_roles_are_optional_and_only_admin_has_extra_rights():
    assert not verify(hs256(roles=None), HS).is_admin
    assert not verify(hs256(roles=["administrator", "Admin"]), HS).is_admin


def test_an_expired_token_is_refused():
    assert "expired" in refused(hs256(minutes=-1))


def test_expiry_has_the_configured_leeway():
    just_expired = hs256(minutes=0)  # exp = now
    assert verify(just_expired, HS).sub == "alice"  # within the default 30 s
    assert "expired" in refused(just_expired, Verifier(SECRET, "HS256", leeway_seconds=0))


def test_a_token_signed_with_another_secret_is_refused():
    assert "Signature" in refused(hs256(secret="another-secret-that-is-32-bytes-long"))


def test_a_tampered_payload_is_refused():
    head, _, signature = hs256(sub="alice").split(".")
    forged = b64(json.dumps(claims(sub="root", roles=["admin"])).encode())
    refused(f"{head}.{forged}.{signature}")


def test_alg_none_is_refused():
    assert "alg" in refused(handmade({"alg": "none", "typ": "JWT"}, claims(roles=["admin"])))


def test_an_hs256_token_is_refused_when_rs256_is_configured(rsa_key):
    public = pem(rsa_key.public_key())
    verifier = Verifier(load_public_key(public, "RS256"), "RS256")
    # the classic confusion: the public key (which anyone has) used as an HMAC secret
    confused = handmade(
        {"alg": "HS256", "typ": "JWT"},
        claims(roles=["admin"]),
        lambda data: hmac.new(public.encode(), data, hashlib.sha256).digest(),
    )
    assert "alg" in refused(confused, verifier)
    assert "alg" in refused(hs256(), verifier)


def test_rs256_and_es256_tokens_verify_with_their_public_keys(rsa_key, ec_key):
    for key, algorithm in ((rsa_key, "RS256"), (ec_key, "ES256")):
        verifier = Verifier(load_public_key(pem(key.public_key()), algorithm), algorithm)
        token = jwt.encode(claims(sub="carol"), key, algorithm=algorithm)
        assert verify(token, verifier).sub == "carol"


def test_an_rs256_token_signed_by_another_key_is_refused(rsa_key):
    verifier = Verifier(load_public_key(pem(rsa_key.public_key()), "RS256"), "RS256")
    from cryptography.hazmat.primitives.asymmetric import rsa

    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    refused(jwt.encode(claims(), stranger, algorithm="RS256"), verifier)


@pytest.mark.parametrize(
    "token_audience, expected",
    [("slotkeeper", True), (["other", "slotkeeper"], True), ("other", False), (None, False)],
)
def test_the_audience_is_enforced_when_configured(token_audience, expected):
    verifier = Verifier(SECRET, "HS256", audience="slotkeeper")
    token = hs256(aud=token_audience)
    if expected:
        assert verify(token, verifier).sub == "alice"
    else:
        refused(token, verifier)


def test_a_token_with_an_audience_is_refused_when_none_is_configured():
    assert "audience" in refused(hs256(aud="someone-else"))


@pytest.mark.parametrize(
    "token_issuer, expected",
    [("https://id.example.com", True), ("https://evil.example.com", False), (None, False)],
)
def test_the_issuer_is_enforced_when_configured(token_issuer, expected):
    verifier = Verifier(SECRET, "HS256", issuer="https://id.example.com")
    token = hs256(iss=token_issuer)
    if expected:
        assert verify(token, verifier).sub == "alice"
    else:
        refused(token, verifier)


@pytest.mark.parametrize("claim", ["sub", "exp"])
def test_sub_and_exp_are_required(claim):
    payload = {k: v for k, v in claims().items() if k != claim}
    assert claim in refused(jwt.encode(payload, SECRET, algorithm="HS256"))


@pytest.mark.parametrize(
    "payload, why",
    [
        ({"sub": ""}, "sub"),
        ({"sub": "x" * 201}, "sub"),
        ({"sub": 42}, "Subject"),
        ({"roles": "admin"}, "roles"),
        ({"roles": [1]}, "roles"),
        ({"exp": "soon"}, "exp"),
        ({"nbf": int(time.time()) + 3600}, "not yet valid"),
    ],
)
def test_malformed_claims_are_refused(payload, why):
    assert why in refused(jwt.encode({**claims(), **payload}, SECRET, algorithm="HS256"))


@pytest.mark.parametrize(
    "token",
    [
        "",
        "abc",
        "a.b.c",
        "..",
        "a.b",
        "Zm9v.YmFy.YmF6",
        "é.é.é",
        "eyJhbGciOiJIUzI1NiJ9." + "A" * 5000 + ".sig",
    ],
)
def test_garbage_is_refused_not_crashed_on(token):
    refused(token)


@pytest.mark.parametrize(
    "algorithm, kind, why",
    [("RS256", "ec", "RSA"), ("ES256", "rsa", "EC key"), ("ES384", "ec", "curve")],
)
def test_a_public_key_must_fit_the_algorithm(rsa_key, ec_key, algorithm, kind, why):
    key = {"rsa": rsa_key, "ec": ec_key}[kind].public_key()
    with pytest.raises(ValueError, match=why):
        load_public_key(pem(key), algorithm)


@pytest.mark.parametrize(
    "text", ["", "not a key", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"]
)
def test_an_unreadable_pem_is_refused(text):
    with pytest.raises(ValueError, match="PEM"):
        load_public_key(text, "RS256")
