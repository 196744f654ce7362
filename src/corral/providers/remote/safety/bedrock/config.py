"""Config of ``remote::bedrock`` safety (field names as in Llama Stack's Bedrock config).

Unset credentials, region and retry settings fall back to boto3's own lookup
(``AWS_*`` environment variables, ``~/.aws`` files, instance roles).
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from corral.config.base import ConfigModel


class BedrockSafetyConfig(ConfigModel):
    """Amazon Bedrock Guardrails through the ApplyGuardrail API."""

    secret_fields: ClassVar[frozenset[str]] = frozenset(
        {"aws_access_key_id", "aws_secret_access_key", "aws_session_token"}
    )
    aws_access_key_id: str | None = None
    """AWS access key id (else boto3 reads `AWS_ACCESS_KEY_ID`, profiles, instance roles)."""
    aws_secret_access_key: str | None = None
    """AWS secret access key (else `AWS_SECRET_ACCESS_KEY`, ...)."""
    aws_session_token: str | None = None
    """Session token of temporary credentials (else `AWS_SESSION_TOKEN`)."""
    region_name: str | None = None
    """AWS region, e.g. `us-east-1` (else `AWS_DEFAULT_REGION` / the profile's region)."""
    profile_name: str | None = None
    """Profile of `~/.aws/credentials` to use (else `AWS_PROFILE`)."""
    endpoint_url: str | None = None
    """Bedrock Runtime endpoint to call instead of the region's default (VPC endpoints, proxies)."""
    total_max_attempts: int | None = Field(None, ge=1)
    """Attempts per request including the first (else `AWS_MAX_ATTEMPTS` / boto3's default)."""
    retry_mode: str | None = None
    """boto3 retry mode: `legacy`, `standard` or `adaptive` (else `AWS_RETRY_MODE`)."""
    connect_timeout: float = Field(60.0, gt=0)
    """Seconds to wait for a connection."""
    read_timeout: float = Field(60.0, gt=0)
    """Seconds to wait for an answer."""
    session_ttl: int | None = Field(3600, ge=1)
    """Accepted for Llama Stack compatibility; boto3 refreshes temporary credentials itself, so
    corral does not use it.
    """

    @classmethod
    def sample_config(cls) -> dict[str, Any]:
        """An example of this section."""
        return {
            "aws_access_key_id": "${env.AWS_ACCESS_KEY_ID}",
            "aws_secret_access_key": "${env.AWS_SECRET_ACCESS_KEY}",
            "region_name": "${env.AWS_DEFAULT_REGION:=us-east-1}",
        }
