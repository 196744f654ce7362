"""Config of ``inline::rules``: the built-in rule list, rules to drop, your own rules."""

from __future__ import annotations

import re
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import Field, field_validator, model_validator

from corral.config.base import ConfigModel

DEFAULT_USER_MESSAGE = "This content was blocked by a safety rule: it contains {findings}."


class Rule(ConfigModel):
    """One pattern rule."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    """Rule name (lowercase letters, digits, `_`), reported in the violation's metadata."""
    category: str = Field(min_length=1)
    """Category reported to moderation clients, e.g. `pii`, `secrets`, `prompt_injection`."""
    description: str = Field(min_length=1)
    """Completes "the message contains ..." in the message shown to the user."""
    pattern: str
    """A Python regular expression searched in the message text (inline flags like `(?i)` allowed).
    """
    validator: Literal["luhn"] | None = None
    """Extra check on each match: `luhn` keeps only numbers with a valid Luhn checksum."""
    level: Literal["info", "warn", "error"] = "error"
    """Violation level; only `error` blocks a guarded chat completion."""

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"invalid regular expression: {exc}") from None
        return value


class RulesShieldConfig(ConfigModel):
    """Offline pattern shield: prompt-injection phrases, personal data and secrets."""

    default_rules: bool = True
    """Start from the built-in rules (listed in docs/safety.md)."""
    disabled_rules: list[str] = Field(default_factory=list)
    """Ids of built-in rules to leave out."""
    rules: list[Rule] = Field(default_factory=list)
    """Your own rules, checked after the built-in ones."""
    scan_all_messages: bool = False
    """Check every message, not only the last (earlier turns were usually checked already)."""
    user_message: str = DEFAULT_USER_MESSAGE
    """Message returned on a violation; `{findings}` becomes the matched rules' descriptions."""

    @model_validator(mode="after")
    def _known_ids(self) -> RulesShieldConfig:
        builtin = {r.id for r in builtin_rules()}
        unknown = sorted(set(self.disabled_rules) - builtin)
        if unknown:
            raise ValueError(f"disabled_rules names unknown built-in rules: {', '.join(unknown)}")
        ids = [r.id for r in self.active_rules()]
        clash = sorted({i for i in ids if ids.count(i) > 1})
        if clash:
            raise ValueError(f"rule ids must be unique; repeated: {', '.join(clash)}")
        return self

    def active_rules(self) -> list[Rule]:
        """Built-in rules (minus the disabled ones) followed by the configured ones."""
        base = builtin_rules() if self.default_rules else []
        return [r for r in base if r.id not in self.disabled_rules] + list(self.rules)

    @classmethod
    def sample_config(cls) -> dict[str, Any]:
        """An example of this section."""
        return {
            "disabled_rules": ["phone_number"],
            "rules": [
                {
                    "id": "internal_hostname",
                    "category": "confidential",
                    "description": "an internal host name",
                    "pattern": r"\b[a-z0-9-]+\.corp\.example\.com\b",
                }
            ],
        }


def builtin_rules() -> list[Rule]:
    """The rules shipped in ``default_rules.yaml``."""
    text = resources.files(__package__ or __name__).joinpath("default_rules.yaml").read_text()
    return [Rule.model_validate(item) for item in yaml.safe_load(text)]
