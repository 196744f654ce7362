"""Entry point of the ``corral`` command."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click
import yaml

from corral.apis.spec import ROUTING_TABLES, Api
from corral.cli.logs import LOG_FORMATS, apply_category_levels, setup_logging
from corral.config.issues import ConfigError
from corral.config.loader import LoadedConfig, load_config
from corral.config.redact import redacted
from corral.config.run import RunConfig
from corral.core.registry import ProviderRegistry, ProviderRegistryError, load_provider_registry
from corral.distributions import resolve_config_path

if TYPE_CHECKING:
    from corral.server.app import CorralApp

F = TypeVar("F", bound=Callable[..., Any])
EXIT_USAGE = 2


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(EXIT_USAGE)


def _registry() -> ProviderRegistry:
    try:
        return load_provider_registry()
    except ProviderRegistryError as exc:
        _fail(f"error: {exc}")
        raise AssertionError("unreachable") from None


def _startable(loaded: LoadedConfig) -> CorralApp:
    """Build the app without starting it: every check short of opening connections.

    `run` and `config validate` both come through here, so a config one accepts
    the other does not refuse before it reaches a database or a model file.
    """
    from corral.server.app import STARTUP_ERRORS, create_app

    try:
        return create_app(loaded)
    except ConfigError as err:
        _fail(err.render())
    except STARTUP_ERRORS as exc:
        _fail(f"error: {exc}")
    raise AssertionError("unreachable")


def _load(config: str, env_pairs: tuple[str, ...] = ()) -> LoadedConfig:
    for pair in env_pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            _fail(f"error: --env expects KEY=VALUE, got {pair!r}")
        os.environ[key] = value
    try:
        return load_config(resolve_config_path(config), _registry())
    except ConfigError as err:
        _fail(err.render())
        raise AssertionError("unreachable") from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="corral")
def main() -> None:
    """corral: one server, one YAML run config, many AI providers behind one API."""


@main.command()
@click.argument("config")
@click.option("--port", type=int, default=None, help="Port (overrides server.port).")
@click.option("--host", default=None, help="Address to bind (overrides server.host).")
@click.option("--env", "env_pairs", multiple=True, metavar="KEY=VALUE", help="Set a variable.")
@click.option("--log-level", default="info", show_default=True)
@click.option(
    "--log-format",
    type=click.Choice(LOG_FORMATS),
    default="text",
    show_default=True,
    help="Log lines as text or as one JSON object each (access log included).",
)
def run(
    config: str,
    port: int | None,
    host: str | None,
    env_pairs: tuple[str, ...],
    log_level: str,
    log_format: str,
) -> None:
    """Serve CONFIG (a run-config file or a distribution name such as `starter`)."""
    setup_logging(log_level, log_format)
    loaded = _load(config, env_pairs)
    apply_category_levels(loaded.run.logging)
    app = _startable(loaded)  # the stack logs the config's warnings once, as it starts
    from corral.server.serve import serve

    server = loaded.run.server
    port = server.port if port is None else port
    serve(loaded, host or server.host, port, log_level, app, log_format=log_format)


@main.group()
def config() -> None:
    """Validate, show, migrate and describe run configs."""


@config.command("validate")
@click.argument("config")
def validate(config: str) -> None:
    """Check CONFIG and report every problem with its line."""
    loaded = _load(config)
    for warning in loaded.warnings:
        click.echo(f"warning: {warning}", err=True)
    _startable(loaded)
    click.echo(f"{loaded.source}: OK ({len(loaded.providers)} providers)")


@config.command("show")
@click.argument("config")
def show(config: str) -> None:
    """Print CONFIG with environment variables resolved and secrets redacted."""
    loaded = _load(config)
    data: Any = redacted(loaded.run)
    providers = {inst.entry.provider_id: redacted(inst.config) for inst in loaded.providers}
    for entries in data.get("providers", {}).values():
        for entry in entries:
            if entry["provider_id"] in providers:
                entry["config"] = providers[entry["provider_id"]]
    click.echo(yaml.safe_dump(data, sort_keys=False), nl=False)


@config.command("schema")
def schema() -> None:
    """Print the JSON Schema of the run config (for editors)."""
    click.echo(json.dumps(RunConfig.model_json_schema(), indent=2))


@config.command("migrate")
@click.argument("old", type=click.Path(dir_okay=False))
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), help="Write here (default: stdout)."
)
def migrate_command(old: str, output: str | None) -> None:
    """Rewrite an older run config (OLD) into the current form."""
    from corral.config.loader import read_config_text
    from corral.config.migrate import migrate
    from corral.config.yaml_source import parse_yaml

    try:
        sourced = parse_yaml(read_config_text(old), old)
    except ConfigError as err:
        _fail(err.render())
    if not isinstance(sourced.data, dict):
        _fail(f"{old}: the run config must be a YAML mapping")
    new, changes = migrate(sourced.data)
    text = yaml.safe_dump(new, sort_keys=False, allow_unicode=True)
    if output:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        click.echo(text, nl=False)
    for change in changes or ["nothing to migrate"]:
        click.echo(f"migrated: {change}", err=True)
    click.echo("note: comments of the original file are not carried over", err=True)


@main.group()
def docs() -> None:
    """Generated documentation."""


@docs.command("generate")
@click.option("--docs-dir", default="docs", show_default=True, type=click.Path(file_okay=False))
@click.option("--check", is_flag=True, help="Only report stale pages (exit 1 when any).")
def docs_generate(docs_dir: str, check: bool) -> None:
    """Write docs/config-reference.md and docs/providers/*.md from the config models."""
    from pathlib import Path

    from corral.cli.docs import write_or_check

    stale = write_or_check(load_provider_registry(plugins=False), Path(docs_dir), check)
    for rel in stale:
        click.echo(f"{'stale' if check else 'wrote'}: {rel}")
    if check and stale:
        sys.exit(1)


@main.command("list-apis")
def list_apis() -> None:
    """List the APIs corral serves."""
    routed = {api: table for table, api in ROUTING_TABLES.items()}
    for api in Api:
        suffix = f" (resources: {routed[api]})" if api in routed else ""
        click.echo(f"{api}{suffix}")


@main.command("list-providers")
@click.argument("api", required=False)
def list_providers(api: str | None) -> None:
    """List the provider types available for API (or for all APIs)."""
    if api is not None and api not in Api.__members__:
        _fail(f"error: unknown API {api!r}; use one of: {', '.join(Api.__members__)}")
    for entry in _registry().all():
        if api is None or entry.spec.api == api:
            click.echo(
                f"{entry.spec.api:<10} {entry.spec.provider_type:<32} {entry.spec.description}"
            )
