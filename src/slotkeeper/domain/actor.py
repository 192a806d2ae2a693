"""The caller as the service layer sees it: plain Python, importable from any layer."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """Who a use case acts for: a user id (a token's sub) and whether they are an admin."""

    user_id: str | None
    is_admin: bool = False

    @property
    def exempt_from_cutoff(self) -> bool:
        """An admin by token; with authentication off every caller counts as a user."""
        return self.is_admin and self.user_id is not None

    def may_act_for(self, user_id: str | None) -> bool:
        return self.is_admin or (self.user_id is not None and user_id == self.user_id)


# Authentication off: the caller may act for anyone, as before tokens existed.
TRUSTED = Actor(user_id=None, is_admin=True)
# Authentication on, no token: enough for the public endpoints only.
ANONYMOUS = Actor(user_id=None, is_admin=False)
