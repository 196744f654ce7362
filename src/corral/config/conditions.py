"""The ``when``/``unless`` conditions of access_policy and route_policy rules (syntax and test).

Forms (as documented): ``user with <value> in <attr>``, ``user with <value> not
in <attr>``, ``user is owner``, ``user is not owner``, ``user in owners <attr>``,
``user not in owners <attr>`` (``owner`` is accepted for ``owners``). A list of
conditions holds when every one holds. Parsing happens once, when the config is
loaded; a string that is not one of these forms is a config error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_WITH = re.compile(r"^user with (\S+) (not in|in) (\S+)$")
_OWNER = re.compile(r"^user (is|is not) owner$")
_OWNERS = re.compile(r"^user (in|not in) owners? (\S+)$")

Attributes = Mapping[str, list[str]]


@dataclass(frozen=True)
class Condition:
    """One parsed condition."""

    kind: str  # "with", "owner", "owners"
    negate: bool
    value: str = ""
    attribute: str = ""

    def holds(
        self,
        principal: str | None,
        attributes: Attributes,
        owner_principal: str | None,
        owner_attributes: Attributes,
    ) -> bool:
        """Evaluate for a user (principal, attributes) and a resource owner."""
        if self.kind == "with":
            found = self.value in attributes.get(self.attribute, [])
        elif self.kind == "owner":
            found = owner_principal is not None and owner_principal == principal
        else:
            mine = set(attributes.get(self.attribute, []))
            theirs = set(owner_attributes.get(self.attribute, []))
            found = bool(mine & theirs)
        return found != self.negate

    @property
    def is_user_condition(self) -> bool:
        """True for conditions that only look at the user (route policy accepts only these)."""
        return self.kind == "with"


def parse_condition(text: str) -> Condition:
    """Parse one condition; `ValueError` names the accepted forms."""
    spec = " ".join(text.split())
    if m := _WITH.match(spec):
        return Condition("with", m.group(2) == "not in", m.group(1), m.group(3))
    if m := _OWNER.match(spec):
        return Condition("owner", m.group(1) == "is not")
    if m := _OWNERS.match(spec):
        return Condition("owners", m.group(1) == "not in", attribute=m.group(2))
    raise ValueError(
        f"invalid condition {text!r}; use 'user with <value> in <attribute>', 'user with <value> "
        "not in <attribute>', 'user is owner', 'user is not owner', 'user in owners <attribute>' "
        "or 'user not in owners <attribute>'"
    )


def parse_conditions(value: str | list[str] | None) -> tuple[Condition, ...]:
    """Parse a condition or a list of them (all must hold)."""
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else value
    return tuple(parse_condition(item) for item in items)
