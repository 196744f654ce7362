"""The optional health capability of a provider (e.g. an embedded model still loading)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

HealthStatus = Literal["OK", "Loading", "Error"]


@dataclass(frozen=True)
class ProviderHealth:
    """A provider's state as ``/v1/health`` and ``/v1/providers`` report it."""

    status: HealthStatus
    message: str = ""


@runtime_checkable
class ReportsHealth(Protocol):
    """Providers whose readiness changes after startup implement this."""

    def health(self) -> ProviderHealth:
        """The provider's current state (cheap: called on every health request)."""
        ...
