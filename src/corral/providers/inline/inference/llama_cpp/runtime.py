"""Waiting for llama-cpp-python while ``scripts/serve`` builds it in the background.

On a first start the llama.cpp runtime is compiled from source (many minutes on
a small machine). ``scripts/serve`` does not make the whole server wait for
that: it installs everything else, starts the build in the background and
records it in a *build marker* file (by default ``<venv>/.corral-llama-cpp-build``)
whose first word is ``building``, ``ok`` or ``failed``. The server starts at
once; this provider's models wait for the marker to say ``ok`` (health
``Loading`` meanwhile, chat requests 503 with Retry-After) and then load. With
no marker, or one that says ``ok``, nothing waits: a missing package is the
usual startup error.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from corral.apis.spec import ProviderStartupError

#: Where scripts/serve records a background build of llama-cpp-python.
DEFAULT_MARKER = Path(sys.prefix) / ".corral-llama-cpp-build"
POLL_SECONDS = 2.0


class RuntimeBuild:
    """The state of a background build, read from its marker file."""

    def __init__(self, marker: Path, sleep: Callable[[float], None] = time.sleep) -> None:
        self.marker = marker
        self._sleep = sleep

    def state(self) -> tuple[str, str]:
        """``(state, log)``: ``building``/``ok``/``failed``, or ``none`` without a marker.

        The marker reads ``building LOG [PID]``, ``ok`` or ``failed LOG``; a build
        whose process is gone without saying how it ended counts as failed.
        """
        try:
            words = self.marker.read_text(encoding="utf-8").split()
        except OSError:
            return "none", ""
        state = words[0] if words and words[0] in ("building", "ok", "failed") else "none"
        log = words[1] if len(words) > 1 else ""
        if state == "building" and len(words) > 2 and words[2].isdigit():
            if not _alive(int(words[2])):
                return "failed", log
        return state, log

    def pending(self) -> bool:
        """True while the build is still running."""
        return self.state()[0] == "building"

    def note(self) -> str:
        """What health reports while waiting."""
        _, log = self.state()
        where = f"; progress in {log}" if log else ""
        return f"building the llama.cpp runtime (first start, several minutes){where}"

    def wait(self) -> None:
        """Block (on a model's load thread) until the build has finished; raise if it failed."""
        while True:
            state, detail = self.state()
            if state == "failed":
                raise ProviderStartupError(
                    f"building llama-cpp-python failed (log: {detail or 'none'}); "
                    "run scripts/serve again to retry, or: pip install 'corral[embedded]'"
                )
            if state != "building":
                break
            self._sleep(POLL_SECONDS)
        importlib.invalidate_caches()  # the package appeared after this process started
        if importlib.util.find_spec("llama_cpp") is None:
            raise ProviderStartupError(
                "the llama-cpp-python build finished but the package is not importable; "
                "pip install 'corral[embedded]'"
            )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
