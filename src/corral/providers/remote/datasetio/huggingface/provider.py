"""`HuggingfaceDatasetIO`: a dataset's split is the data files of its cached snapshot.

``huggingface://datasets/OWNER/NAME?split=SPLIT&name=CONFIG`` (``hf://`` too;
``split`` defaults to ``train``) names the repository ``datasets--OWNER--NAME``
in the hub cache. Its newest snapshot's files (.parquet, .jsonl, .json, .csv)
whose path names the split (``data/train-00000-of-00001.parquet``,
``CONFIG/train/0000.parquet``, ``train.jsonl``), and the config when one is
given, are read in path order as one stream of rows. Appending is refused:
Llama Stack pushes appended rows to the hub, which corral does not do.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from corral.apis.context import RequestContext
from corral.apis.datasets.api import DatasetTarget
from corral.errors import InvalidParameter, InvalidRequest
from corral.providers.datasets.readers import rows_of
from corral.providers.datasets.sources import FORMATS, Located

_NAME = re.compile(r"^[A-Za-z0-9_.\-]+/[A-Za-z0-9_.\-]+$")


def parse_uri(uri: str) -> tuple[str, str, str | None]:
    """(OWNER/NAME, split, config) of a ``huggingface://datasets/...`` URI."""
    parsed = urlparse(uri)
    if parsed.scheme not in ("huggingface", "hf") or parsed.netloc != "datasets":
        raise InvalidParameter(
            "source.uri", "use huggingface://datasets/OWNER/NAME?split=SPLIT with this provider"
        )
    repo = parsed.path.strip("/")
    if not _NAME.match(repo):
        raise InvalidParameter("source.uri", f"{repo!r} is not OWNER/NAME")
    params = {k: v[0] for k, v in parse_qs(parsed.query).items()}
    return repo, params.get("split", "train"), params.get("name")


def split_files(snapshot: Path, split: str, config: str | None) -> list[Path]:
    """The split's data files in the snapshot, in path order."""
    found = []
    for path in sorted(snapshot.rglob("*")):
        if path.suffix.lower() not in FORMATS or not path.is_file():
            continue
        parts = path.relative_to(snapshot).parts
        names = [*parts[:-1], path.stem]
        if not any(n == split or n.startswith(f"{split}-") or n.startswith(f"{split}.")
                   for n in names):  # fmt: skip
            continue
        if config is not None and config not in parts[:-1]:
            continue
        found.append(path)
    return found


class HuggingfaceDatasetIO:
    """The ``remote::huggingface`` datasetio provider (local cache only)."""

    def __init__(self, cache_dir: str) -> None:
        self._cache = Path(cache_dir).expanduser()

    def _files(self, uri: str) -> list[Path]:
        repo, split, config = parse_uri(uri)
        snapshots = self._cache / f"datasets--{repo.replace('/', '--')}" / "snapshots"
        newest = None
        if snapshots.is_dir():
            newest = max(snapshots.iterdir(), key=lambda p: p.stat().st_mtime, default=None)
        files = split_files(newest, split, config) if newest is not None else []
        if not files:
            raise InvalidParameter(
                "source.uri",
                f"split {split!r} of {repo} is not in the local Hugging Face cache "
                f"({self._cache}); corral does not download datasets: run `huggingface-cli "
                f"download --repo-type dataset {repo}` on this machine first",
            )
        return files

    async def register_dataset(self, target: DatasetTarget, ctx: RequestContext) -> None:
        """The split must be in the cache."""
        if target.source.get("type") != "uri":
            raise InvalidParameter("source.type", "this provider reads uri sources")
        await asyncio.to_thread(self._files, target.source["uri"])

    async def unregister_dataset(self, target: DatasetTarget) -> None:
        """Nothing is kept per dataset."""

    async def iterrows(
        self, target: DatasetTarget, start: int, limit: int, ctx: RequestContext
    ) -> tuple[list[dict[str, Any]], bool]:
        """Rows ``start .. start+limit-1`` of the split's files, read in order."""
        files = await asyncio.to_thread(self._files, target.source["uri"])
        out: list[dict[str, Any]] = []
        seen = 0
        for path in files:
            place = Located("path", str(path), FORMATS[path.suffix.lower()])
            async for row in rows_of(place, None, ctx):
                if seen >= start:
                    if len(out) == limit:
                        return out, True
                    out.append(row)
                seen += 1
        return out, False

    async def append_rows(
        self, target: DatasetTarget, rows: list[dict[str, Any]], ctx: RequestContext
    ) -> None:
        """Refused: Llama Stack would push the rows to the hub."""
        raise InvalidRequest(
            "rows cannot be appended to a Hugging Face dataset (that would push to the hub); "
            "register a copy with inline::localfs and append to it",
            code="append_not_supported",
        )

    async def shutdown(self) -> None:
        """Nothing to release."""
