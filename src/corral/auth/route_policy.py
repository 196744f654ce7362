"""route_policy: may this caller use this path at all (checked before access_policy)?

Patterns: an exact path, a prefix ending in ``*``, ``*`` for everything, or
``regex:<pattern>`` (``re.match``). A request is judged by its canonical path
(the server resolves aliases and spellings before this runs: a request for
``/v1/openai/v1/models/`` is judged as ``/v1/models``), so an exact or prefix
pattern written for the ``/v1/openai/v1`` alias is read as its canonical path
too; a regex sees canonical paths only. Trailing slashes are removed before
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


#: The older OpenAI-compatible prefix every alias starts with (``/v1/openai/v1/models``).
ALIAS_PREFIX = "/v1/openai/v1"


def normalise(path: str) -> str:
    """Drop trailing slashes (but keep "/")."""
    return path.rstrip("/") or "/"


def canonical_pattern_path(path: str) -> str:
    """A pattern's path as the canonical route it names (``/v1/openai/v1/x`` → ``/v1/x``)."""
    if path == ALIAS_PREFIX or path.startswith(ALIAS_PREFIX + "/"):
        return "/v1" + path[len(ALIAS_PREFIX) :]
    return path


def _pattern(spec: str, index: int) -> _Pattern | None:
    if spec == "*":
        return _Pattern(everything=True)
    if spec.startswith("regex:"):
        # The config's validation compiled it already: an invalid one never gets here.
        return _Pattern(regex=re.compile(spec[len("regex:") :]))
    if spec.endswith("*"):
        prefix = canonical_pattern_path(spec[:-1])
        return _Pattern(prefix=normalise(prefix) if prefix != "/" else "/")
    return _Pattern(exact=canonical_pattern_path(normalise(spec)))


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
