"""The benchmark harness runs end to end for a second and cleans up (no timing asserts)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.services import unavailable

#: Starts corral servers or other processes (scripts/test -m "not slow" skips them).
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


def test_harness_quick_run(tmp_path: Path) -> None:
    if shutil.which("wrk") is None:
        unavailable(
            "wrk is not installed (apt-get install wrk); scripts/test installs it when run as root"
        )
    out = tmp_path / "bench.json"
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text())
    for key in ("chat c=4", "chat c=4 auth+quota sqlite"):
        scenario = data["scenarios"][key]
        assert scenario["corral"]["rps"] > 0 and scenario["corral"]["non2xx"] == 0, key
        assert scenario["corral/direct"] > 0
    assert data["streaming"]["plain"]["corral"]["ttfc_p50"] > 0
    assert data["streaming"]["auth+quota sqlite"]["corral"]["ttfc_p50"] > 0
    assert data["servers"]["corral"]["cold_start_s"] > 0
    assert out.with_suffix(".md").read_text().startswith("## Latest run")
