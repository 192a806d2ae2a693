"""Idempotency-Key handling for book and hold (IETF httpapi draft, as Stripe does it).

The key's record is created before any seat is taken and names the appointment id the
request will use, so a repeat can only ever return that one appointment. A refusal forgets
the key (a refused request changed nothing, so a retry may try again).
"""
import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime, timedelta

from slotkeeper.domain.errors import DomainError, IdempotencyInProgress, IdempotencyMismatch
from slotkeeper.repositories import Repositories

# a first attempt still unfinished after this long died; a repeat may finish its work
RESUME_AFTER = timedelta(seconds=60)


def fingerprint(kind: str, request) -> str:
    body = json.dumps({"kind": kind, **asdict(request)}, sort_keys=True)
    return hashlib.sha256(body.encode()).hexdigest()


def run_once(repos: Repositories, key: str, kind: str, request, now: datetime,
             create: Callable[[str], object]):
    """Run `create(appointment_id)` at most once per (user, key); repeats get its result."""
    record, fresh = repos.idempotency.claim(request.user_id, key, fingerprint(kind, request),
                                            repos.appointments.new_id(), now)
    if not fresh:
        if record.fingerprint != fingerprint(kind, request):
            raise IdempotencyMismatch("this Idempotency-Key was used with a different request",
                                      field="Idempotency-Key", location="headers")
        done = repos.appointments.find(record.appointment_id)
        if done is not None:
            return done
        if record.created_at > now - RESUME_AFTER:
            raise IdempotencyInProgress("a request with this Idempotency-Key is still running")
    try:
        return create(str(record.appointment_id))
    except DomainError:
        repos.idempotency.forget(record)
        raise
