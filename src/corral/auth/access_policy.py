"""access_policy: may this user do this action on this resource?

With no rules configured the documented default applies: resources defined in
the run config are usable by everyone; resources created at run time only by
the principal that created them. Without authentication every caller is
anonymous and may do everything.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from corral.apis.context import User
from corral.apis.resources import Owner

Action = Literal["create", "read", "update", "delete"]


class AccessPolicy:
    """Evaluates the configured rules (or the default policy)."""

    def is_allowed(
        self, user: User | None, action: Action, policy_id: str, owner: Owner | None
    ) -> bool:
        """True when `user` may do `action` on the resource named `policy_id`."""
        if user is None or owner is None:
            return True
        return owner.principal == user.principal

    def visible(self, user: User | None, items: Iterable[tuple[str, Owner | None]]) -> list[bool]:
        """For each (policy_id, owner), whether `user` may read it."""
        return [self.is_allowed(user, "read", pid, owner) for pid, owner in items]
