"""Domain errors: raised by the domain and service layer, mapped to HTTP once in api/errors.py."""


class DomainError(Exception):
    """Base of every refusal the service layer can raise."""


class NotFound(DomainError):
    """An id in the path or body names nothing."""


class Forbidden(DomainError):
    """The caller is known but may not do this (for instance act for another user)."""


class Invalid(DomainError):
    """Input that is well-formed but not acceptable; carries the offending field."""

    reason: str | None = None

    def __init__(self, message: str, field: str = "_schema", location: str = "json"):
        super().__init__(message)
        self.field = field
        self.location = location


class IdempotencyMismatch(Invalid):
    reason = "IDEMPOTENCY_MISMATCH"


class Conflict(DomainError):
    """A valid request that conflicts with the current state."""

    reason = "CONFLICT"


class SlotUnavailable(Conflict):
    reason = "SLOT_UNAVAILABLE"


class SlotInPast(Conflict):
    reason = "SLOT_IN_PAST"


class HoldExpired(Conflict):
    reason = "HOLD_EXPIRED"


class InvalidTransition(Conflict):
    reason = "INVALID_TRANSITION"


class DuplicateBooking(Conflict):
    reason = "DUPLICATE_BOOKING"


class IdempotencyInProgress(Conflict):
    reason = "IDEMPOTENCY_IN_PROGRESS"


class HasActiveAppointments(Conflict):
    reason = "HAS_ACTIVE_APPOINTMENTS"


class SlotExists(Conflict):
    reason = "SLOT_EXISTS"


class ServiceInactive(Conflict):
    reason = "SERVICE_INACTIVE"


class SlotOverlap(Conflict):
    reason = "SLOT_OVERLAP"


class ServiceClosed(Conflict):
    reason = "SERVICE_CLOSED"


class NoticeTooShort(Conflict):
    reason = "NOTICE_TOO_SHORT"


class TooFarAhead(Conflict):
    reason = "TOO_FAR_AHEAD"


class CancelCutoff(Conflict):
    reason = "CANCEL_CUTOFF"


class UserLimitReached(Conflict):
    reason = "USER_LIMIT_REACHED"


class TooEarly(Conflict):
    reason = "TOO_EARLY"


class TooLate(Conflict):
    reason = "TOO_LATE"


class SlotAvailable(Conflict):
    reason = "SLOT_AVAILABLE"


class AlreadyWaiting(Conflict):
    reason = "ALREADY_WAITING"


class DatabaseUnavailable(DomainError):
    """The database did not answer in time."""


def _reasons(cls: type) -> list[str]:
    found = [r for r in [getattr(cls, "reason", None)] if r and r != Conflict.reason]
    sub: type
    for sub in cls.__subclasses__():
        found += [r for r in _reasons(sub) if r not in found]
    return found


# every `reason` a refusal can carry, as the OpenAPI document lists them
REASONS: tuple[str, ...] = tuple(_reasons(DomainError))
