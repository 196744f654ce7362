"""Config problems, with the YAML line they come from and how to fix them.

A `ConfigError` carries every problem found in one pass so the user sees them
all at once. Its string form is what the CLI prints, one line per problem:
``FILE:LINE path.to.field: what is wrong; how to fix it``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

Path = tuple[str | int, ...]


def format_path(path: Path) -> str:
    """Render ``("providers", "inference", 0, "config")`` as ``providers.inference[0].config``.

    A key that is not plain printable text without spaces or dots is quoted
    (``storage["a b"]``), so every problem stays on one line of output.
    """
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not part or not part.isprintable() or any(c in part for c in " .[]"):
            out += f"[{part!r}]"
        else:
            out += f".{part}" if out else part
    return out or "(top level)"


@dataclass(frozen=True)
class ConfigIssue:
    """One problem in a config file."""

    path: Path
    problem: str
    fix: str = ""
    line: int | None = None

    def render(self, source: str) -> str:
        """Format as ``FILE:LINE path: problem; fix``."""
        where = f"{source}:{self.line}" if self.line is not None else source
        problem = " ".join(self.problem.splitlines())
        text = f"{where} {format_path(self.path)}: {problem}"
        return f"{text}; {self.fix}" if self.fix else text


class ConfigError(Exception):
    """One or more problems that stop a config from being used."""

    def __init__(self, source: str, issues: Sequence[ConfigIssue]) -> None:
        self.source = source
        self.issues = list(issues)
        super().__init__(self.render())

    def render(self) -> str:
        """All problems, one per line."""
        return "\n".join(issue.render(self.source) for issue in self.issues)

    @classmethod
    def single(cls, source: str, problem: str, fix: str = "", path: Path = ()) -> ConfigError:
        """A config error with exactly one problem."""
        return cls(source, [ConfigIssue(path, problem, fix)])

    def with_lines(self, lines: dict[Path, int]) -> ConfigError:
        """Fill in missing line numbers from a path → line map."""
        located = sorted(_located(self.issues, lines), key=lambda i: i.line or 0)
        return ConfigError(self.source, located)


def _located(issues: Iterable[ConfigIssue], lines: dict[Path, int]) -> Iterable[ConfigIssue]:
    for issue in issues:
        if issue.line is not None:
            yield issue
            continue
        yield ConfigIssue(issue.path, issue.problem, issue.fix, nearest_line(issue.path, lines))


def nearest_line(path: Path, lines: dict[Path, int]) -> int:
    """The line of `path`, or of its closest ancestor that has one (the file's first line)."""
    for end in range(len(path), -1, -1):
        line = lines.get(path[:end])
        if line is not None:
            return line
    return 1
