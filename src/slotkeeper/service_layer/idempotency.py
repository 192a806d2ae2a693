"""Idempotency-Key handling for book and hold (IETF httpapi draft, as Stripe does it).

The key's record is created before any seat is taken and names the appointment id and the
claim id the request will use, so a repeat can only ever return that one appointment, and a
request resumed after its first run died recognises the seats that run took as its own. A
refusal forgets the key (a refused request changed nothing, so a retry may try again).
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, replace
from datetime import datetime, timedelta

from slotkeeper.domain.errors import DomainError, IdempotencyInProgress, IdempotencyMismatch
from slotkeeper.repositories import Repositories
from slotkeeper.repositories.idempotency_repository import KEY_LIFETIME
from slotkeeper.service_layer.reading import Populated, populate_one

# a first attempt still unfinished after this long died; a repeat may finish its work
RESUME_AFTER = timedelta(seconds=60)
TRIES = 3  # a record can vanish (its lifetime ended) between two of our operations


def fingerprint(kind: str, request) -> str:
    body = json.dumps({"kind": kind, **asdict(request)}, sort_keys=True)
    return hashlib.sha256(body.encode()).hexdigest()


def run_once(
    repos: Repositories,
    key: str,
    kind: str,
    request,
    now: datetime,
    create: Callable[[str, str], Populated],
) -> Populated:
    """Run `create(appointment_id, claim_id)` at most once per (user, key); a repeat gets
    the appointment it made, marked as replayed."""
    fields = {
        "user_id": request.user_id,
        "key": key,
        "fingerprint": fingerprint(kind, request),
        "appointment_id": repos.appointments.new_id(),
        "claim_id": repos.appointments.new_id(),
        "created_at": now,
    }
    record, fresh = _record(repos, fields, now)
    if not fresh:
        if record.fingerprint != fields["fingerprint"]:
            raise IdempotencyMismatch(
                "this Idempotency-Key was used with a different request",
                field="Idempotency-Key",
                location="headers",
            )
        done = repos.appointments.find(record.appointment_id)
        if done is not None:
            return replace(populate_one(repos, done), replayed=True)
        if record.created_at > now - RESUME_AFTER:
            raise IdempotencyInProgress("a request with this Idempotency-Key is still running")
    try:
        return create(str(record.appointment_id), record.claim_id or fields["claim_id"])
    except DomainError:
        repos.idempotency.forget(record)
        raise


def _record(repos: Repositories, fields: dict, now: datetime):
    """The key's record and whether this request made it (or renewed an outlived one)."""
    for _ in range(TRIES):
        added = repos.idempotency.add(fields)
        if added is not None:
            return added, True
        old = repos.idempotency.find(fields["user_id"], fields["key"])
        if old is None:
            continue  # its lifetime ended and it was removed in between: add it again
        renewed = repos.idempotency.renew(old, fields, now)
        if renewed is not None:
            return renewed, True
        if old.created_at > now - KEY_LIFETIME:
            return old, False
    raise IdempotencyInProgress("a request with this Idempotency-Key is still running")
