"""Build the configured authentication provider."""

from __future__ import annotations

from corral.auth.providers.base import AuthProvider
from corral.config.auth import (
    AuthProviderConfig,
    CustomAuthConfig,
    GitHubTokenConfig,
    KubernetesConfig,
    OAuth2TokenConfig,
)


def build_auth_provider(config: AuthProviderConfig) -> AuthProvider:
    """The provider for `config`'s ``type``."""
    if isinstance(config, OAuth2TokenConfig):
        from corral.auth.providers.oauth2 import OAuth2TokenProvider

        return OAuth2TokenProvider(config)
    if isinstance(config, KubernetesConfig):
        from corral.auth.providers.kubernetes import KubernetesProvider

        return KubernetesProvider(config)
    if isinstance(config, GitHubTokenConfig):
        from corral.auth.providers.github import GitHubTokenProvider

        return GitHubTokenProvider(config)
    assert isinstance(config, CustomAuthConfig)
    from corral.auth.providers.custom import CustomAuthProvider

    return CustomAuthProvider(config)
