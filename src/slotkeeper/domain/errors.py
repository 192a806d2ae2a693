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


class DatabaseUnavailable(DomainError):
    """The database did not answer in time."""
