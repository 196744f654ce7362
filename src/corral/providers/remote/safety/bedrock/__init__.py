"""``remote::bedrock``: Amazon Bedrock Guardrails as shields (boto3, the ``bedrock`` extra)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from corral.apis.spec import Api, ProviderDeps, ProviderSpec
from corral.config.issues import ConfigError
from corral.providers.remote.safety.bedrock.config import BedrockSafetyConfig

if TYPE_CHECKING:
    from corral.providers.remote.safety.bedrock.guardrail import BedrockGuardrails

SPEC = ProviderSpec(
    api=Api.safety,
    provider_type="remote::bedrock",
    config=BedrockSafetyConfig,
    description="Amazon Bedrock Guardrails through the ApplyGuardrail API.",
    extras=("bedrock",),
)


async def create(config: BedrockSafetyConfig, deps: ProviderDeps) -> BedrockGuardrails:
    """Build the Bedrock Runtime client (off the event loop: boto3 reads files on creation)."""
    try:
        import botocore.exceptions as aws_errors

        from corral.providers.remote.safety.bedrock.guardrail import AwsErrors, BedrockGuardrails
    except ImportError:
        raise ConfigError.single(
            f"safety provider {deps.provider_id!r}",
            "remote::bedrock needs boto3",
            "install corral with the bedrock extra: pip install 'corral[bedrock]'",
        ) from None
    try:
        client = await asyncio.to_thread(_client, config)
    except aws_errors.BotoCoreError as exc:
        raise ConfigError.single(
            f"safety provider {deps.provider_id!r}",
            f"cannot create the Bedrock client: {exc}",
            "set region_name (or AWS_DEFAULT_REGION) and valid credentials",
        ) from None
    errors = AwsErrors(
        client=aws_errors.ClientError,
        connect=aws_errors.EndpointConnectionError,
        read_timeout=aws_errors.ReadTimeoutError,
        other=aws_errors.BotoCoreError,
    )
    return BedrockGuardrails(client, errors)


def _client(config: BedrockSafetyConfig) -> Any:
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(
        aws_access_key_id=config.aws_access_key_id,
        aws_secret_access_key=config.aws_secret_access_key,
        aws_session_token=config.aws_session_token,
        region_name=config.region_name,
        profile_name=config.profile_name,
    )
    retries: dict[str, Any] = {}
    if config.total_max_attempts is not None:
        retries["total_max_attempts"] = config.total_max_attempts
    if config.retry_mode is not None:
        retries["mode"] = config.retry_mode
    client_config = Config(
        connect_timeout=config.connect_timeout,
        read_timeout=config.read_timeout,
        retries=retries or None,
    )
    return session.client("bedrock-runtime", endpoint_url=config.endpoint_url, config=client_config)
