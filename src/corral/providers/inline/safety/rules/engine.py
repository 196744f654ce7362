"""`RulesShield`: judge text against compiled pattern rules, with no model and no network.

Scanning is CPU work: texts above `INLINE_SCAN_CHARS` are scanned in a worker
thread so a large message never stalls the event loop; shorter ones take
microseconds and are scanned inline (a thread hop would cost more).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from corral.apis.safety.api import LEVEL_RANK, ShieldCall, ShieldTarget, Violation
from corral.errors import InvalidParameter
from corral.providers.inline.safety.rules.config import Rule, RulesShieldConfig

INLINE_SCAN_CHARS = 8192


@dataclass(frozen=True)
class CompiledRule:
    """A rule with its regex compiled once."""

    rule: Rule
    regex: re.Pattern[str]
    check: Callable[[str], bool] | None


def luhn_valid(text: str) -> bool:
    """True when the digits of `text` pass the Luhn checksum (payment card numbers do)."""
    digits = [int(c) for c in text if c.isdigit()]
    total = 0
    for index, digit in enumerate(reversed(digits)):
        if index % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return len(digits) >= 12 and total % 10 == 0


def compile_rules(rules: Iterable[Rule]) -> tuple[CompiledRule, ...]:
    """Compile each rule's pattern and validator."""
    checks = {"luhn": luhn_valid}
    return tuple(
        CompiledRule(r, re.compile(r.pattern), checks[r.validator] if r.validator else None)
        for r in rules
    )


def matching_rules(rules: Sequence[CompiledRule], text: str) -> list[CompiledRule]:
    """The rules with at least one (validated) match in `text`."""
    hits = []
    for compiled in rules:
        if compiled.check is None:
            if compiled.regex.search(text):
                hits.append(compiled)
        elif any(compiled.check(m.group(0)) for m in compiled.regex.finditer(text)):
            hits.append(compiled)
    return hits


class RulesShield:
    """The ``inline::rules`` safety provider."""

    def __init__(self, config: RulesShieldConfig) -> None:
        self.config = config
        self.rules = compile_rules(config.active_rules())
        self.categories = frozenset(c.rule.category for c in self.rules)
        self.ids = frozenset(c.rule.id for c in self.rules)

    async def register_shield(self, shield: ShieldTarget) -> None:
        """Check the shield's params (`categories`, `disabled_rules`) name known things."""
        self.select(shield.params)

    def select(self, params: dict[str, Any]) -> Sequence[CompiledRule]:
        """The rules a shield's params select."""
        categories = _names(params, "categories")
        disabled = _names(params, "disabled_rules")
        if categories is None and disabled is None:
            return self.rules
        if categories is not None and not categories <= self.categories:
            unknown = ", ".join(sorted(categories - self.categories))
            known = ", ".join(sorted(self.categories))
            raise InvalidParameter("params.categories", f"unknown: {unknown}; known: {known}")
        if disabled is not None and not disabled <= self.ids:
            unknown = ", ".join(sorted(disabled - self.ids))
            raise InvalidParameter("params.disabled_rules", f"unknown rule ids: {unknown}")
        return [
            c
            for c in self.rules
            if (categories is None or c.rule.category in categories)
            and (disabled is None or c.rule.id not in disabled)
        ]

    async def run_shield(self, call: ShieldCall) -> Violation | None:
        """Scan the last message (or all, with `scan_all_messages`)."""
        rules = self.select(call.params)
        messages = call.messages if self.config.scan_all_messages else call.messages[-1:]
        text = "\n".join(m.text for m in messages)
        if len(text) > INLINE_SCAN_CHARS:
            hits = await asyncio.to_thread(matching_rules, rules, text)
        else:
            hits = matching_rules(rules, text)
        return self._violation(hits) if hits else None

    def _violation(self, hits: list[CompiledRule]) -> Violation:
        found = [h.rule for h in hits]
        categories = tuple(dict.fromkeys(r.category for r in found))
        findings = "; ".join(dict.fromkeys(r.description for r in found))
        level = max((r.level for r in found), key=LEVEL_RANK.__getitem__)
        return Violation(
            level=level,
            user_message=self.config.user_message.replace("{findings}", findings),
            metadata={
                "violation_type": ",".join(categories),
                "rules": [r.id for r in found],
                "categories": list(categories),
            },
            categories=categories,
        )

    async def shutdown(self) -> None:
        """Nothing to release."""


def _names(params: dict[str, Any], key: str) -> frozenset[str] | None:
    value = params.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidParameter(f"params.{key}", "must be a list of strings")
    return frozenset(value)
