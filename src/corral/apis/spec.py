"""What a provider declares about itself, and what it is given when created.

Every provider package exports ``SPEC: ProviderSpec`` and
``async def create(config, deps) -> implementation``; built-in providers and
third-party ones (entry-point group ``corral.providers``) use the same two
names, so nothing is discovered by reflection.

This is the contract layer of the wiring: the config loader validates provider
configs against it and the core builds the stack from it, so it imports nothing
from either. The running routers reach a provider through `Routers`, a map
read with typed keys (`ApiKey`): ``deps.routers.require(INFERENCE)`` has the
type the key names, with no ``Any`` on the way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar, cast

from pydantic import BaseModel

from corral.apis.context import QuotaClient, User
from corral.apis.resources import Owner
from corral.apis.storage import KVStore, SqlStore
from corral.apis.vector_io.settings import VectorStoreSettings


class Api(StrEnum):
    """The APIs corral serves through providers."""

    inference = "inference"
    safety = "safety"
    vector_io = "vector_io"
    files = "files"
    responses = "responses"
    conversations = "conversations"
    prompts = "prompts"
    batches = "batches"
    datasetio = "datasetio"
    scoring = "scoring"
    eval = "eval"
    connectors = "connectors"
    tool_runtime = "tool_runtime"
    file_processors = "file_processors"


#: Routing-table API → the provider API it routes (the "auto-routed pairs").
ROUTING_TABLES: Mapping[str, Api] = {
    "models": Api.inference,
    "shields": Api.safety,
    "vector_stores": Api.vector_io,
    "datasets": Api.datasetio,
    "scoring_functions": Api.scoring,
    "benchmarks": Api.eval,
    "tool_groups": Api.tool_runtime,
}

#: APIs with exactly one provider, which is also their router (nothing to route on).
SINGLE_PROVIDER_APIS = frozenset({Api.files, Api.responses, Api.batches, Api.file_processors})

#: APIs served by corral itself, without a provider (their stores come from ``storage``).
BUILTIN_APIS = frozenset({Api.conversations, Api.prompts, Api.connectors})

#: Older API names read as today's (``providers.agents`` is ``providers.responses``).
API_ALIASES: Mapping[str, Api] = {"agents": Api.responses}

#: Older provider types read as today's, per API.
PROVIDER_TYPE_ALIASES: Mapping[tuple[Api, str], str] = {
    (Api.responses, "inline::meta-reference"): "inline::builtin",
    (Api.eval, "inline::meta-reference"): "inline::builtin",
}

#: Llama Stack APIs that corral does not serve (yet); a config naming them still loads.
UNSERVED_APIS = frozenset(
    {
        "telemetry",
        "post_training",
        "memory",
    }
)

#: Llama Stack provider types corral does not serve (yet), and why; a config naming one loads
#: with a warning and the provider is not started.
UNSERVED_PROVIDER_TYPES: Mapping[tuple[Api, str], str] = {
    (Api.tool_runtime, "inline::rag-runtime"): "use the file_search tool of the Responses API",
    (Api.tool_runtime, "inline::file_search"): "use the file_search tool of the Responses API",
    (Api.tool_runtime, "inline::file-search"): "use the file_search tool of the Responses API",
    (Api.tool_runtime, "remote::model-context-protocol"): "use connectors: and mcp tools",
    (Api.tool_runtime, "remote::wolfram-alpha"): "no Wolfram Alpha provider",
}

T = TypeVar("T")


@dataclass(frozen=True, eq=False)
class ApiKey(Generic[T]):
    """Names the running router of one API and the type it has.

    Declared once per API (the core's router spec is the key); `Routers` hands
    a router out only for the very key object it was stored under, so the type
    a reader gets is the type the writer stored.
    """

    api: Api


class Routers:
    """The routers built so far, by API, read through typed keys."""

    def __init__(self) -> None:
        self._by_api: dict[Api, tuple[ApiKey[Any], object]] = {}

    def add(self, key: ApiKey[T], router: T) -> None:
        """Store the router of `key`'s API; an API has one router."""
        if key.api in self._by_api:
            raise ValueError(f"the {key.api} router is already built")
        self._by_api[key.api] = (key, router)

    def get(self, key: ApiKey[T]) -> T | None:
        """The router of `key`'s API, or None when that API has none (or another key)."""
        found = self._by_api.get(key.api)
        if found is None or found[0] is not key:
            return None
        return cast("T", found[1])

    def require(self, key: ApiKey[T]) -> T:
        """The router of `key`'s API; a `LookupError` when it is not built."""
        router = self.get(key)
        if router is None:
            raise LookupError(f"the {key.api} router is not built")
        return router

    def __contains__(self, api: object) -> bool:
        return api in self._by_api

    def apis(self) -> list[Api]:
        """The APIs with a router, in the order they were built."""
        return list(self._by_api)

    def only(self, apis: Iterable[Api]) -> Routers:
        """A view holding just `apis` (what a provider declared it depends on)."""
        view = Routers()
        wanted = set(apis)
        view._by_api = {a: entry for a, entry in self._by_api.items() if a in wanted}
        return view


class KVRef(Protocol):
    """A reference to a KV store on a named backend (``storage.stores.*``, ``persistence``)."""

    @property
    def backend(self) -> str:
        """The backend's name under ``storage.backends``."""
        ...

    @property
    def namespace(self) -> str | None:
        """Key prefix isolating this store's keys."""
        ...


class SqlRef(Protocol):
    """A reference to a SQL table on a named backend."""

    @property
    def backend(self) -> str:
        """The backend's name under ``storage.backends``."""
        ...

    @property
    def table_name(self) -> str:
        """The table."""
        ...


class ProviderStorage(Protocol):
    """The stores a provider may open: on a declared backend, or in a file of its own."""

    def kv(self, ref: KVRef) -> KVStore:
        """A KV store on a declared backend."""
        ...

    def sql(self, ref: SqlRef) -> SqlStore:
        """A SQL store on a declared backend."""
        ...

    async def inline_sqlite_kv(self, db_path: str, namespace: str | None) -> KVStore:
        """A KV store in its own SQLite file."""
        ...

    async def inline_sqlite_sql(self, db_path: str, table: str) -> SqlStore:
        """A SQL store in its own SQLite file."""
        ...

    async def sql_or_default(
        self, ref: SqlRef | None, store: str, table: str
    ) -> tuple[SqlStore, str]:
        """A SQL store and the table it stands for.

        `ref`, else the run config's ``storage.stores.<store>``, else `table` on
        the first SQL backend, else memory.
        """
        ...


class AccessCheck(Protocol):
    """The server's access_policy, as a provider that stores owned records asks it."""

    def is_allowed(
        self,
        user: User | None,
        action: str,
        policy_id: str | tuple[str, ...],
        owner: Owner | None,
    ) -> bool:
        """True when `user` may do `action` on the resource named `policy_id`."""
        ...


class QuotaGate(Protocol):
    """The server's quota, as background work done for a client counts against it."""

    async def take(self, client: QuotaClient) -> float:
        """Count one request for `client`: 0 within its limit, else seconds to the window's reset.

        Raises the store's error when it is down and ``on_store_error`` is ``deny``.
        """
        ...


@dataclass(frozen=True)
class ProviderDeps:
    """Everything a provider factory receives besides its own config."""

    provider_id: str
    #: The routers of the APIs the provider's spec depends on (and only those).
    routers: Routers
    storage: ProviderStorage
    #: The server's access_policy, for providers that store owner-stamped records (files).
    access: AccessCheck
    #: The server's quota (None when ``server.quota`` is not configured), for background
    #: work that runs on a client's behalf (batch lines).
    quota: QuotaGate | None = None
    #: The run config's ``vector_stores`` tuning (chunking, retrieval, file_search prompts).
    vector_stores: VectorStoreSettings = field(default_factory=VectorStoreSettings)


ProviderFactory = Callable[[Any, ProviderDeps], Awaitable[object]]


class ProviderStartupError(Exception):
    """A provider cannot start for a reason the operator must fix.

    Raised by a factory for a missing optional package or model file; the
    server reports the message as one line (no traceback) and exits.
    """


@dataclass(frozen=True)
class ProviderSpec:
    """A provider kind: which API it serves, its config model and its needs."""

    api: Api
    provider_type: str
    #: A `corral.config.base.ConfigModel` subclass (the registry checks it).
    config: type[BaseModel]
    description: str
    api_dependencies: tuple[Api, ...] = ()
    optional_api_dependencies: tuple[Api, ...] = ()
    extras: tuple[str, ...] = field(default=())

    @property
    def is_remote(self) -> bool:
        """True for adapters of an external service."""
        return self.provider_type.startswith("remote::")


@dataclass(frozen=True)
class RegisteredProvider:
    """A provider kind known to this process, with where it came from."""

    spec: ProviderSpec
    create: ProviderFactory
    source: str


class ProviderCatalogue(Protocol):
    """The provider kinds a config is validated against (the core's registry)."""

    def get(self, api: Api, provider_type: str) -> RegisteredProvider | None:
        """The provider kind, or None."""
        ...

    def types_for(self, api: Api) -> list[str]:
        """Provider types that serve `api`, sorted."""
        ...
