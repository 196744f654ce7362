"""``inline::rules``: an offline shield for prompt-injection phrases, personal data and secrets.

Needs no model and no network, so ``run-shield`` and moderations work out of
the box; it only knows the patterns it is given (see docs/safety.md for the
list and its limits).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from corral.apis.spec import Api, ProviderDeps, ProviderSpec
from corral.providers.inline.safety.rules.config import RulesShieldConfig

if TYPE_CHECKING:
    from corral.providers.inline.safety.rules.engine import RulesShield

SPEC = ProviderSpec(
    api=Api.safety,
    provider_type="inline::rules",
    config=RulesShieldConfig,
    description="Offline pattern shield: prompt-injection phrases, personal data and secrets.",
)


async def create(config: RulesShieldConfig, deps: ProviderDeps) -> RulesShield:
    """Compile the rules."""
    from corral.providers.inline.safety.rules.engine import RulesShield

    return RulesShield(config)
