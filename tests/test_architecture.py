"""Architecture rules as tests (STYLE R2, R3, R5, R11)."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from corral.config.base import ConfigModel
from corral.core.registry import load_provider_registry

SRC = Path(__file__).resolve().parents[1] / "src" / "corral"
ROOT = SRC.parents[1]


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


#: The documented layer order (docs/architecture.md): a module imports only its own
#: layer and the layers before it.
LAYERS = (
    "errors",
    "apis",
    "config",
    "observe",
    "storage",
    "auth",
    "core",
    "providers",
    "server",
    "distributions",
    "cli",
    "__main__",
)


def _layer(module: str) -> str:
    return module.split(".")[1] if module.count(".") else ""


def test_every_module_belongs_to_a_documented_layer() -> None:
    layers = {p.relative_to(SRC).parts[0].removesuffix(".py") for p in SRC.rglob("*.py")}
    assert layers - {"__init__"} == set(LAYERS)


def test_layers_import_only_earlier_layers() -> None:
    """The whole order, TYPE_CHECKING imports and imports inside functions included."""
    offenders = []
    for path in SRC.rglob("*.py"):
        own = path.relative_to(SRC).parts[0].removesuffix(".py")
        if own == "__init__":
            continue
        for name in _imports(path):
            if not name.startswith("corral.") or _layer(name) == own:
                continue
            if LAYERS.index(_layer(name)) > LAYERS.index(own):
                offenders.append(f"{path.relative_to(SRC)} ({own}) imports {name}")
    assert offenders == []


def test_the_layering_check_sees_a_violation(tmp_path: Path) -> None:
    """The check above would catch config importing core (as it once did)."""
    probe = tmp_path / "probe.py"
    probe.write_text("if True:\n    from corral.core.registry import ProviderRegistry\n")
    names = _imports(probe)
    assert names == ["corral.core.registry"]
    assert LAYERS.index(_layer(names[0])) > LAYERS.index("config")


def _subclasses(cls: type[ConfigModel]) -> list[type[ConfigModel]]:
    out: list[type[ConfigModel]] = []
    for sub in cls.__subclasses__():
        out += [sub, *_subclasses(sub)]
    return out


def test_every_config_model_forbids_unknown_keys() -> None:
    load_provider_registry(plugins=False)  # imports every provider's config model
    loose = [
        c.__name__ for c in _subclasses(ConfigModel) if c.model_config.get("extra") != "forbid"
    ]
    assert loose == []


def test_no_formatted_sql_reaches_execute() -> None:
    sinks = {"execute", "exec_driver_sql", "text", "fetch", "fetchrow", "executemany"}
    offenders = []
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in sinks
            ):
                for arg in node.args[:1]:
                    if isinstance(arg, ast.JoinedStr) or (
                        isinstance(arg, ast.BinOp) and isinstance(arg.op, ast.Mod)
                    ):
                        offenders.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert offenders == []


def test_module_size_budget() -> None:
    budget = json.loads((ROOT / "size-budget.json").read_text())
    over = {
        str(p.relative_to(ROOT)): n
        for p in SRC.rglob("*.py")
        if (n := len(p.read_text().splitlines())) > 800
    }
    assert set(over) <= set(budget), (
        f"modules over 800 lines must be listed in size-budget.json: {over}"
    )
    for name, allowed in budget.items():
        assert over.get(name, 0) <= allowed, f"{name} grew past its budget"
