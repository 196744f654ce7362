"""Distributions: run configs shipped in the package, runnable by name (``corral run starter``)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def distribution_names() -> list[str]:
    """Names of the shipped distributions."""
    root = resources.files(__name__)
    return sorted(p.name for p in root.iterdir() if p.is_dir() and (p / "config.yaml").is_file())


def resolve_config_path(name_or_path: str) -> str:
    """A file path as given, or the config file of the distribution with that name."""
    if Path(name_or_path).expanduser().exists() or name_or_path.endswith((".yaml", ".yml")):
        return name_or_path
    candidate = resources.files(__name__) / name_or_path / "config.yaml"
    if candidate.is_file():
        return str(candidate)
    return name_or_path
