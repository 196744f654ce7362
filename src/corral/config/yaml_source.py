"""Parse YAML into plain Python data while remembering where every value came from.

The result is the data plus a map from each value's path (``("server", "port")``)
to its 1-based line, so that any later stage (env substitution, schema
validation, provider config validation) can point the user at the right line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from corral.config.issues import ConfigError, Path


@dataclass
class SourcedData:
    """YAML data together with the line of every mapping key and sequence item."""

    data: Any
    lines: dict[Path, int] = field(default_factory=dict)
    source: str = "<config>"


def parse_yaml(text: str, source: str) -> SourcedData:
    """Parse `text`; a syntax error becomes a `ConfigError` naming the line."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except (ValueError, OverflowError) as exc:  # bad "\\U" escapes escape PyYAML as these
        err = ConfigError.single(
            source, f"invalid YAML: {exc}", "check the escapes in double-quoted strings"
        )
        return _raise_at(err, _escape_line(text))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        err = ConfigError.single(
            source, f"invalid YAML: {problem}", "check indentation and quoting"
        )
        return _raise_at(err, line)
    out = SourcedData(data=None, source=source)
    if node is not None:
        out.data = _convert(node, (), out.lines, source)
    return out


def _escape_line(text: str) -> int:
    """The first line with a backslash-u escape (PyYAML gives no mark for these)."""
    for number, line in enumerate(text.splitlines(), start=1):
        if "\\U" in line or "\\u" in line:
            return number
    return 1


def _raise_at(err: ConfigError, line: int | None) -> SourcedData:
    issue = err.issues[0]
    raise ConfigError(err.source, [type(issue)(issue.path, issue.problem, issue.fix, line)])


_constructor = yaml.constructor.SafeConstructor()


def _convert(node: yaml.Node, path: Path, lines: dict[Path, int], source: str) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = _constructor.construct_object(key_node)
            if not isinstance(key, str):
                key = str(key)
            if key in result:
                raise ConfigError.single(
                    source, f"duplicate key {key!r}", "remove one of them", path + (key,)
                ).with_lines({path + (key,): key_node.start_mark.line + 1})
            result[key] = _convert(value_node, path + (key,), lines, source)
            lines[path + (key,)] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, path + (i,), lines, source) for i, item in enumerate(node.value)]
    return _constructor.construct_object(node)
