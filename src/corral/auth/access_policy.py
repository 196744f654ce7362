"""access_policy: may this user do this action on this resource?

Rules are tried in order; the first whose principal, actions, resource and
conditions all match decides (permit or forbid); no match denies. With no rules
the documented default applies: resources defined in the run config (no owner)
are usable by everyone, resources created at run time only by the principal
that created them. Without authentication there is no user and every check
passes (a policy needs identities to mean anything; startup warns).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from corral.apis.context import User
from corral.apis.resources import Owner
from corral.config.auth import AccessRule
from corral.config.conditions import Condition, parse_conditions

log = logging.getLogger("corral.access")

Action = Literal["create", "read", "update", "delete"]


@dataclass(frozen=True)
class CompiledRule:
    """An access rule with its resource matcher and conditions parsed once."""

    index: int
    permit: bool
    principal: str | None
    actions: frozenset[str]
    resource: str | None
    pattern: re.Pattern[str] | None
    when: tuple[Condition, ...]
    unless: tuple[Condition, ...]
    description: str | None


@dataclass(frozen=True)
class Decision:
    """The outcome of a check and the rule that made it (None: default policy or no match)."""

    allowed: bool
    rule: CompiledRule | None
    reason: str


def compile_rules(rules: Sequence[AccessRule]) -> list[CompiledRule]:
    """Parse rules once at startup (the config's validation already compiled every regex)."""
    out = []
    for index, rule in enumerate(rules):
        scope = rule.permit or rule.forbid
        assert scope is not None
        pattern = None
        if scope.resource and scope.resource.startswith("regex:"):
            pattern = re.compile(scope.resource[len("regex:") :])
        out.append(
            CompiledRule(
                index,
                rule.permit is not None,
                scope.principal,
                frozenset(scope.actions),
                scope.resource,
                pattern,
                parse_conditions(rule.when),
                parse_conditions(rule.unless),
                rule.description,
            )
        )
    return out


def resource_matches(rule: CompiledRule, policy_id: str | tuple[str, ...]) -> bool:
    """``type::id`` exactly, ``type::*`` (or ``type::``) for a whole type, or ``regex:``.

    A resource may go by several names (a model by ``model::<provider>/<id>`` and by
    ``model::<model_id>``); the rule matches when it matches any of them.
    """
    if isinstance(policy_id, tuple):
        return any(resource_matches(rule, one) for one in policy_id)
    spec = rule.resource
    if spec is None:
        return True
    if spec.startswith("regex:"):
        return rule.pattern is not None and rule.pattern.match(policy_id) is not None
    if spec.endswith("::*") or spec.endswith("::"):
        return policy_id.startswith(spec.rstrip("*"))
    return spec == policy_id


class AccessPolicy:
    """Evaluates the configured rules, or the default policy."""

    def __init__(self, rules: Sequence[AccessRule] = ()) -> None:
        self.rules = compile_rules(rules)

    def decide(
        self, user: User | None, action: str, policy_id: str | tuple[str, ...], owner: Owner | None
    ) -> Decision:
        """The decision and the rule behind it."""
        if user is None:
            return Decision(True, None, "authentication is off: every caller may do everything")
        if not self.rules:
            if owner is None:
                return Decision(True, None, "default policy: resources from the config are shared")
            mine = owner.principal == user.principal
            return Decision(
                mine,
                None,
                "default policy: "
                + ("the caller created this resource" if mine else "only its creator may use it"),
            )
        owner_principal = owner.principal if owner else None
        owner_attrs = owner.attributes if owner else {}
        for rule in self.rules:
            if rule.principal is not None and rule.principal != user.principal:
                continue
            if action not in rule.actions or not resource_matches(rule, policy_id):
                continue
            args = (user.principal, user.attributes, owner_principal, owner_attrs)
            if rule.when and not all(c.holds(*args) for c in rule.when):
                continue
            if rule.unless and all(c.holds(*args) for c in rule.unless):
                continue
            verb = "permits" if rule.permit else "forbids"
            return Decision(rule.permit, rule, f"access_policy[{rule.index}] {verb} it")
        return Decision(False, None, "no access_policy rule matches, so it is denied")

    def is_allowed(
        self,
        user: User | None,
        action: Action | str,
        policy_id: str | tuple[str, ...],
        owner: Owner | None,
    ) -> bool:
        """True when `user` may do `action` on the resource named `policy_id`."""
        return self.decide(user, action, policy_id, owner).allowed
