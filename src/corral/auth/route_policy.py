"""route_policy: may this caller use this path at all (checked before access_policy)?

Patterns: an exact path, a prefix ending in ``*``, ``*`` for everything, or
``regex:<pattern>`` (``re.match``). Trailing slashes are removed before
matching. Rules are tried in order, the first match decides, no match denies;
with no rules every route is allowed. Rules with user conditions are skipped
when authentication is not configured.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from corral.apis.context import User
from corral.config.auth import RouteRule
from corral.config.conditions import Condition, parse_conditions

log = logging.getLogger("corral.route_policy")


@dataclass(frozen=True)
class _Pattern:
    exact: str | None = None
    prefix: str | None = None
    regex: re.Pattern[str] | None = None
    everything: bool = False

    def matches(self, path: str) -> bool:
        if self.everything:
            return True
        if self.exact is not None:
            return path == self.exact
        if self.prefix is not None:
            return path.startswith(self.prefix)
        return self.regex is not None and self.regex.match(path) is not None


@dataclass(frozen=True)
class _Rule:
    permit: bool
    patterns: tuple[_Pattern, ...]
    when: tuple[Condition, ...]
    unless: tuple[Condition, ...]


def normalise(path: str) -> str:
    """Drop trailing slashes (but keep "/")."""
    return path.rstrip("/") or "/"


def _pattern(spec: str, index: int) -> _Pattern | None:
    if spec == "*":
        return _Pattern(everything=True)
    if spec.startswith("regex:"):
        # The config's validation compiled it already: an invalid one never gets here.
        return _Pattern(regex=re.compile(spec[len("regex:") :]))
    if spec.endswith("*"):
        return _Pattern(prefix=normalise(spec[:-1]) if spec[:-1] != "/" else "/")
    return _Pattern(exact=normalise(spec))


class RoutePolicy:
    """Compiled route rules."""

    def __init__(self, rules: Sequence[RouteRule], auth_enabled: bool) -> None:
        self._auth = auth_enabled
        self._rules = []
        for index, rule in enumerate(rules):
            scope = rule.permit or rule.forbid
            assert scope is not None
            specs = [scope.paths] if isinstance(scope.paths, str) else scope.paths
            patterns = tuple(p for s in specs if (p := _pattern(s, index)) is not None)
            self._rules.append(
                _Rule(
                    rule.permit is not None,
                    patterns,
                    parse_conditions(rule.when),
                    parse_conditions(rule.unless),
                )
            )

    @property
    def active(self) -> bool:
        """False when no rules are configured (every route allowed)."""
        return bool(self._rules)

    def allows(self, path: str, user: User | None) -> bool:
        """The first matching rule's verdict; no match denies."""
        path = normalise(path)
        attrs = user.attributes if user else {}
        principal = user.principal if user else None
        for rule in self._rules:
            if not any(p.matches(path) for p in rule.patterns):
                continue
            if (rule.when or rule.unless) and not self._auth:
                continue
            if rule.when and not all(c.holds(principal, attrs, None, {}) for c in rule.when):
                continue
            if rule.unless and all(c.holds(principal, attrs, None, {}) for c in rule.unless):
                continue
            return rule.permit
        return False
