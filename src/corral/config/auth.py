"""``server.auth``: the authentication provider, access_policy and route_policy.

`provider_config` is a union discriminated by ``type``; when its ``type``
resolves to nothing (``${env.AUTH_PROVIDER:+oauth2_token}`` with the variable
unset) the whole block is None and authentication is off. The older form
(``provider_type`` + ``config``) is refused with the new form shown: an auth
block that was silently ignored would leave a server open.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from corral.config.base import ConfigModel

DEFAULT_OAUTH2_CLAIMS = {
    "sub": "roles",
    "username": "roles",
    "groups": "teams",
    "team": "teams",
    "project": "projects",
    "tenant": "namespaces",
    "namespace": "namespaces",
}
DEFAULT_KUBERNETES_CLAIMS = {"username": "roles", "groups": "roles"}
DEFAULT_GITHUB_CLAIMS = {"login": "roles", "organizations": "teams"}


class JWKSConfig(ConfigModel):
    """Where the token-signing keys are published."""

    secret_fields: ClassVar[frozenset[str]] = frozenset({"token"})
    uri: str
    """URL of the JSON Web Key Set."""
    token: str | None = Field(None, description="Bearer token sent when fetching the JWKS.")
    key_recheck_period: int = Field(3600, ge=1, description="Seconds between JWKS refreshes.")


class IntrospectionConfig(ConfigModel):
    """RFC 7662 token introspection, for opaque (non-JWT) tokens."""

    secret_fields: ClassVar[frozenset[str]] = frozenset({"client_secret"})
    url: str
    """Introspection endpoint URL."""
    client_id: str
    """Client id for the endpoint."""
    client_secret: str
    """Client secret for the endpoint."""
    send_secret_in_body: bool = False
    """Send the credentials in the form body instead of HTTP Basic."""


class OAuth2TokenConfig(ConfigModel):
    """JWTs checked against a JWKS, or opaque tokens checked by introspection."""

    type: Literal["oauth2_token"] = "oauth2_token"
    """`oauth2_token`."""
    jwks: JWKSConfig | None = None
    """Where the signing keys are published (JWT tokens)."""
    introspection: IntrospectionConfig | None = None
    """RFC 7662 introspection endpoint (opaque tokens)."""
    issuer: str | None = None
    """Required `iss` claim."""
    audience: str = "llama-stack"
    """Required `aud` claim."""
    claims_mapping: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_OAUTH2_CLAIMS))
    """Token claim → access attribute (e.g. `sub` → `roles`)."""
    verify_tls: bool = True
    """Verify TLS of the JWKS/introspection endpoint."""
    tls_cafile: str | None = None
    """CA bundle for that endpoint."""
    cache_ttl: int = Field(300, ge=0, description="Max seconds a validated token is cached.")

    @model_validator(mode="after")
    def _one_method(self) -> OAuth2TokenConfig:
        if (self.jwks is None) == (self.introspection is None):
            raise ValueError("set exactly one of `jwks` (JWT tokens) or `introspection` (opaque)")
        return self


class KubernetesConfig(ConfigModel):
    """Tokens checked by a SelfSubjectReview against the Kubernetes API server."""

    type: Literal["kubernetes"] = "kubernetes"
    """`kubernetes`."""
    api_server_url: str
    """Kubernetes API server URL."""
    verify_tls: bool = True
    """Verify the API server's TLS certificate."""
    tls_cafile: str | None = None
    """CA bundle of the API server."""
    claims_mapping: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_KUBERNETES_CLAIMS))
    """userInfo field → access attribute."""
    cache_ttl: int = Field(300, ge=0)
    """Max seconds a validated token is cached."""


class GitHubTokenConfig(ConfigModel):
    """GitHub personal access or OAuth tokens, checked against the GitHub API."""

    type: Literal["github_token"] = "github_token"
    """`github_token`."""
    github_api_base_url: str = "https://api.github.com"
    """GitHub (or GitHub Enterprise) API root."""
    claims_mapping: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_GITHUB_CLAIMS))
    """GitHub user field → access attribute."""
    verify_tls: bool = True
    """Verify GitHub's TLS certificate."""
    tls_cafile: str | None = None
    """CA bundle for GitHub Enterprise."""
    cache_ttl: int = Field(300, ge=0)
    """Max seconds a validated token is cached."""


class CustomAuthConfig(ConfigModel):
    """Tokens checked by POSTing them to an endpoint of your own."""

    type: Literal["custom"] = "custom"
    """`custom`."""
    endpoint: str
    """URL that receives `{api_key, request}` and answers `{access_attributes, message}`."""
    verify_tls: bool = True
    """Verify the endpoint's TLS certificate."""
    tls_cafile: str | None = None
    """CA bundle of the endpoint."""
    cache_ttl: int = Field(300, ge=0)
    """Max seconds a validated token is cached."""


AuthProviderConfig = Annotated[
    OAuth2TokenConfig | KubernetesConfig | GitHubTokenConfig | CustomAuthConfig,
    Field(discriminator="type"),
]

Action = Literal["create", "read", "update", "delete"]
Conditions = str | list[str] | None
ALL_ACTIONS: tuple[Action, ...] = ("create", "read", "update", "delete")


class AccessScope(ConfigModel):
    """What an access rule applies to; an unset field matches everything."""

    principal: str | None = None
    """Principal the rule applies to (all when unset)."""
    actions: list[Action] = Field(default_factory=lambda: list(ALL_ACTIONS))
    """Actions: create, read, update, delete."""
    resource: str | None = None
    """`type::id`, `type::*` or `regex:...` (all when unset)."""

    @field_validator("actions", mode="before")
    @classmethod
    def _one_action(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("resource")
    @classmethod
    def _valid_regex(cls, value: str | None) -> str | None:
        check_regex(value)
        return value


def check_regex(spec: str | None) -> None:
    """A ``regex:`` pattern must compile: a rule that cannot match would fail open for forbid."""
    if spec is None or not spec.startswith("regex:"):
        return
    try:
        re.compile(spec.removeprefix("regex:"))
    except re.error as exc:
        raise ValueError(
            f"invalid regular expression {spec.removeprefix('regex:')!r}: {exc}"
        ) from None


def _check_conditions(rule: AccessRule | RouteRule, user_only: bool) -> None:
    from corral.config.conditions import parse_conditions

    for value in (rule.when, rule.unless):
        for condition in parse_conditions(value):
            if user_only and not condition.is_user_condition:
                raise ValueError(
                    "route_policy conditions can only test the user ('user with <value> in "
                    "<attribute>' or 'not in'); owner conditions need a resource"
                )


class AccessRule(ConfigModel):
    """One access_policy rule: permit or forbid, with optional when/unless conditions."""

    permit: AccessScope | None = None
    """What the rule allows."""
    forbid: AccessScope | None = None
    """What the rule denies."""
    when: Conditions = None
    """Condition(s) that must hold for the rule to apply."""
    unless: Conditions = None
    """Condition(s) under which the rule does not apply."""
    description: str | None = None
    """Free text, shown by the explain endpoint."""

    @model_validator(mode="after")
    def _shape(self) -> AccessRule:
        if (self.permit is None) == (self.forbid is None):
            raise ValueError("a rule has exactly one of `permit` or `forbid`")
        if self.when is not None and self.unless is not None:
            raise ValueError("a rule has at most one of `when` or `unless`")
        _check_conditions(self, user_only=False)
        return self


class RouteScope(ConfigModel):
    """Which paths a route rule covers."""

    paths: str | list[str]
    """Exact path, prefix with `*`, `*`, or `regex:...`; one or a list."""

    @field_validator("paths")
    @classmethod
    def _valid_regexes(cls, value: str | list[str]) -> str | list[str]:
        for spec in [value] if isinstance(value, str) else value:
            check_regex(spec)
        return value


class RouteRule(ConfigModel):
    """One route_policy rule."""

    permit: RouteScope | None = None
    """Paths the rule allows."""
    forbid: RouteScope | None = None
    """Paths the rule denies."""
    when: Conditions = None
    """Condition(s) that must hold."""
    unless: Conditions = None
    """Condition(s) under which the rule does not apply."""
    description: str | None = None
    """Free text."""

    @model_validator(mode="after")
    def _shape(self) -> RouteRule:
        if (self.permit is None) == (self.forbid is None):
            raise ValueError("a rule has exactly one of `permit` or `forbid`")
        if self.when is not None and self.unless is not None:
            raise ValueError("a rule has at most one of `when` or `unless`")
        _check_conditions(self, user_only=True)
        return self


class AuthConfig(ConfigModel):
    """``server.auth``."""

    provider_config: AuthProviderConfig | None = None
    """How bearer tokens are checked; null (or a `type` that resolves to nothing) turns
    authentication off.
    """
    access_policy: list[AccessRule] = Field(default_factory=list)
    """Resource-level rules; first match wins, no match denies. Empty: the documented default
    policy.
    """
    route_policy: list[RouteRule] = Field(default_factory=list)
    """Route-level rules, checked before access_policy; empty allows every route."""

    @model_validator(mode="before")
    @classmethod
    def _refuse_legacy_form(cls, data: Any) -> Any:
        if isinstance(data, dict) and ("provider_type" in data or "config" in data):
            ptype = data.get("provider_type", "<type>")
            raise ValueError(
                "the `provider_type` + `config` auth form was replaced by `provider_config`; "
                f"write `auth: {{provider_config: {{type: {ptype}, ...fields of config...}}}}` "
                "or run `corral config migrate FILE`"
            )
        if isinstance(data, dict) and isinstance(data.get("provider_config"), dict):
            if data["provider_config"].get("type") is None:
                # `type: ${env.AUTH_PROVIDER:+...}` with the variable unset: auth is off.
                data = {**data, "provider_config": None}
        return data
