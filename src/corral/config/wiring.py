"""Static checks of how the configured providers fit together, from their specs alone.

Everything here is decided without starting anything, so ``corral config
validate`` and ``corral run`` refuse the same configs: an API a provider depends
on with no provider, a second provider of a single-provider API, and a store
reference inside a provider's config that names no suitable backend. The API
start order the `Stack` follows is computed here too, once.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from pydantic import BaseModel

from corral.apis.spec import SINGLE_PROVIDER_APIS, Api
from corral.config.issues import ConfigIssue
from corral.config.run import RunConfig
from corral.config.storage import KVReference, SqlReference

if TYPE_CHECKING:
    from corral.config.loader import ProviderInstanceConfig

Path = tuple[str | int, ...]


def api_order(instances: Sequence[ProviderInstanceConfig], issues: list[ConfigIssue]) -> list[Api]:
    """APIs with providers, dependencies first; a missing dependency or a cycle is an issue."""
    needs: dict[Api, set[Api]] = {}
    first_index: dict[Api, int] = {}
    for inst in instances:
        deps = needs.setdefault(inst.api, set())
        first_index.setdefault(inst.api, inst.index)
        deps.update(inst.provider.spec.api_dependencies)
    for inst in instances:  # optional dependencies count only when that API is served
        needs[inst.api].update(
            a for a in inst.provider.spec.optional_api_dependencies if a in needs
        )
    for inst in instances:
        for dep in inst.provider.spec.api_dependencies:
            if dep not in needs:
                issues.append(
                    ConfigIssue(
                        ("providers", str(inst.api), inst.index, "provider_type"),
                        f"{inst.provider.spec.provider_type} needs the {dep} API, which has no "
                        "provider",
                        f"add a provider under providers.{dep}",
                    )
                )
    ordered: list[Api] = []
    visiting: set[Api] = set()

    def visit(api: Api) -> None:
        if api in ordered or api in visiting:
            if api in visiting:
                issues.append(
                    ConfigIssue(
                        ("providers", str(api), first_index[api]),
                        f"provider dependency cycle through {api}",
                        "",
                    )
                )
            return
        visiting.add(api)
        for dep in sorted(needs[api] & needs.keys()):
            visit(dep)
        visiting.discard(api)
        ordered.append(api)

    for api in sorted(needs):
        visit(api)
    return ordered


def single_provider_issues(instances: Sequence[ProviderInstanceConfig]) -> list[ConfigIssue]:
    """A second enabled provider of an API that has nothing to route on."""
    out = []
    first: dict[Api, str] = {}
    for inst in instances:
        if inst.api not in SINGLE_PROVIDER_APIS:
            continue
        if inst.api in first:
            out.append(
                ConfigIssue(
                    ("providers", str(inst.api), inst.index),
                    f"providers.{inst.api} already has {first[inst.api]!r}; corral serves one "
                    f"{inst.api} provider",
                    "keep one (or disable the others with provider_id: ${env.X:+id})",
                )
            )
        else:
            first[inst.api] = inst.entry.provider_id
    return out


def provider_reference_issues(
    run: RunConfig, instances: Sequence[ProviderInstanceConfig]
) -> list[ConfigIssue]:
    """Store references in provider configs must name a declared backend of their family."""
    out = []
    for inst in instances:
        base: Path = ("providers", str(inst.api), inst.index, "config")
        for path, ref in _references(inst.config, base):
            where = ".".join(str(p) for p in path)
            problem = run.reference_problem(ref, where)
            if problem:
                out.append(
                    ConfigIssue(
                        (*path, "backend"),
                        problem,
                        "name a backend declared under storage.backends",
                    )
                )
    return out


def _references(model: BaseModel, path: Path) -> Iterator[tuple[Path, KVReference | SqlReference]]:
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, KVReference | SqlReference):
            yield (*path, name), value
        elif isinstance(value, BaseModel):
            yield from _references(value, (*path, name))
