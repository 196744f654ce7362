"""Llama Stack provider types corral does not serve: ignored with a warning, not refused.

A Llama Stack run config lists many providers (cerebras, milvus, code-scanner,
...) that corral has no implementation of. Such an entry does not stop the
server: it is ignored, and one startup warning names it and says why, as do
the resources (models, shields, vector stores) that point at it. A type that
no Llama Stack release declared is a typo and stays a line-accurate error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files

import yaml

#: Older API names of the catalogue → the API the entry would be under today.
_CATALOGUE_ALIASES = {"agents": "responses", "memory": "vector_io"}


def llama_stack_provider_types() -> Mapping[str, frozenset[str]]:
    """Provider types any Llama Stack release declared, by today's API name."""
    text = files("corral.config").joinpath("llama_stack_providers.yaml").read_text("utf-8")
    raw: dict[str, list[str]] = yaml.safe_load(text)
    out: dict[str, set[str]] = {}
    for api, types in raw.items():
        out.setdefault(_CATALOGUE_ALIASES.get(api, api), set()).update(types)
    return {api: frozenset(types) for api, types in out.items()}


@dataclass(frozen=True)
class IgnoredProvider:
    """A provider entry of a Llama Stack type corral does not serve."""

    api: str
    index: int
    provider_id: str
    provider_type: str
    #: The API it needs whose providers were all ignored (None: its type is not served).
    needs: str | None = None

    def warning(self) -> str:
        """The one startup line naming the entry and why it is ignored."""
        where = f"providers.{self.api}[{self.index}] ({self.provider_id}, {self.provider_type})"
        if self.needs is not None:
            why = (
                f"it needs the {self.needs} API, whose providers are all ignored; the entry is "
                "ignored too"
            )
        else:
            why = f"corral has no {self.provider_type} provider; the entry is ignored"
        return (
            f"{where}: {why}, and resources that name it are not served "
            "(docs/compatibility.md lists what corral serves)"
        )
