"""What a datasetio provider implements (``providers.datasetio``, e.g. ``inline::localfs``).

Datasets are resources of the registry (owner-stamped, access_policy-checked
by the datasetio router); a provider is asked to vet a dataset when it is
registered (is its source readable, is a local path allowed) and then reads
its rows, a page at a time, streaming the source rather than loading it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from corral.apis.context import RequestContext


@dataclass(frozen=True)
class DatasetTarget:
    """A registered dataset as its provider sees it."""

    dataset_id: str
    purpose: str
    source: dict[str, Any]
    metadata: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class DatasetIOProvider(Protocol):
    """Reads (and appends to) datasets."""

    async def register_dataset(self, target: DatasetTarget, ctx: RequestContext) -> None:
        """Vet a new dataset (`InvalidParameter` naming the problem with its source)."""
        ...

    async def unregister_dataset(self, target: DatasetTarget) -> None:
        """Forget what the provider keeps for the dataset (appended rows)."""
        ...

    async def iterrows(
        self, target: DatasetTarget, start: int, limit: int, ctx: RequestContext
    ) -> tuple[list[dict[str, Any]], bool]:
        """Rows ``start .. start+limit-1`` and whether more follow."""
        ...

    async def append_rows(
        self, target: DatasetTarget, rows: list[dict[str, Any]], ctx: RequestContext
    ) -> None:
        """Add rows after the existing ones (kept durably)."""
        ...

    async def shutdown(self) -> None:
        """Release resources."""
        ...
