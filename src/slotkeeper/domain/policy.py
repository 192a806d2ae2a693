"""A service's booking policy: when its slots may be taken and left, and how many at once."""

from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime, timedelta

from slotkeeper.domain.errors import CancelCutoff, NoticeTooShort, TooFarAhead


@dataclass(frozen=True)
class Policy:
    min_notice_minutes: int = 0
    max_advance_days: int | None = None
    cancel_cutoff_minutes: int = 0
    max_active_per_user: int | None = None

    @classmethod
    def stored(cls, values: dict | None) -> "Policy":
        """The policy as a service stores it, camelCase (absent fields have their default)."""
        return cls(
            **{
                name: values[key]
                for name, key in STORED.items()
                if values and values.get(key) is not None
            }
        )

    def to_stored(self) -> dict:
        """What a service stores: the fields that differ from their defaults, camelCase."""
        defaults = Policy()
        return {
            key: getattr(self, name)
            for name, key in STORED.items()
            if getattr(self, name) != getattr(defaults, name)
        }

    def merged(self, changes: dict) -> "Policy":
        """This policy with `changes` applied; a None puts the field back to its default."""
        defaults = Policy()
        return replace(
            self, **{k: getattr(defaults, k) if v is None else v for k, v in changes.items()}
        )

    def as_dict(self) -> dict:
        return asdict(self)

    def check_take(self, start: datetime, now: datetime) -> None:
        """Refuse taking seats on a slot starting at `start` (book, hold, reschedule-to)."""
        if start - now < timedelta(minutes=self.min_notice_minutes):
            raise NoticeTooShort(
                f"the service needs {self.min_notice_minutes} minute(s) of "
                "notice before the slot starts"
            )
        if self.max_advance_days is not None and start - now > timedelta(
            days=self.max_advance_days
        ):
            raise TooFarAhead(
                f"the service takes bookings at most {self.max_advance_days} day(s) ahead"
            )

    def check_leave(self, start: datetime, now: datetime) -> None:
        """Refuse a user's cancel or reschedule of an appointment on a slot starting at
        `start` (an admin is exempt: the caller decides)."""
        if start - now < timedelta(minutes=self.cancel_cutoff_minutes):
            raise CancelCutoff(
                f"cancel or reschedule at least {self.cancel_cutoff_minutes} "
                "minute(s) before the slot starts"
            )


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


STORED = {f.name: _camel(f.name) for f in fields(Policy)}
