"""Vector index benchmark: insert and query throughput, recall@10 against exact search.

Drives each vector_io provider's index class directly (the layer that stores
and searches chunks; no HTTP, no embedding model), on N clustered random unit
vectors (default 100k x 384): inserts in batches of 1,000 chunks, then runs
single-vector queries (k = 10) sequentially, each phase stopped at its time
budget. Recall@10 is measured against numpy's exact top 10 for the same
queries. faiss also reports the startup rebuild from its KV store. pgvector
runs in a throwaway database on the local PostgreSQL, dropped at the end.

    .venv/bin/python benchmarks/vectors.py                 # 100k x 384, all providers
    .venv/bin/python benchmarks/vectors.py --quick         # 10k vectors, a smoke run
    .venv/bin/python benchmarks/vectors.py --providers faiss --n 50000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from corral.apis.vector_io.api import IndexedChunk  # noqa: E402

PROVIDERS = ("sqlite-vec", "faiss", "pgvector")
BATCH = 1000
K = 10
STORE = "bench"


def dataset(n: int, dim: int, queries: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors around 256 random centres (so neighbours are not all equidistant)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((256, dim)).astype(np.float32)
    data = centres[rng.integers(0, 256, n)] + 0.6 * rng.standard_normal((n, dim)).astype(np.float32)
    data /= np.linalg.norm(data, axis=1, keepdims=True)
    picks = data[rng.integers(0, n, queries)]
    q = picks + 0.3 * rng.standard_normal(picks.shape).astype(np.float32)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    return data, q.astype(np.float32)


def exact_top_k(data: np.ndarray, queries: np.ndarray, k: int) -> list[set[int]]:
    """The true top-k row numbers by cosine similarity, in blocks to bound memory."""
    out: list[set[int]] = []
    for start in range(0, len(queries), 64):
        scores = queries[start : start + 64] @ data.T
        top = np.argpartition(-scores, k, axis=1)[:, :k]
        out += [set(row.tolist()) for row in top]
    return out


def chunks(data: np.ndarray, start: int, stop: int) -> list[IndexedChunk]:
    return [
        IndexedChunk(f"c{i}", f"f{i // BATCH}", i, f"chunk {i}", data[i].tolist())
        for i in range(start, stop)
    ]


async def timed_phase(
    label: str, items: int, budget: float, step: Callable[[int], Awaitable[Any]]
) -> tuple[int, float]:
    """Run `step(i)` for i < items until the budget is spent; (done, seconds)."""
    t0 = time.perf_counter()
    done = 0
    while done < items and time.perf_counter() - t0 < budget:
        await step(done)
        done += 1
    elapsed = time.perf_counter() - t0
    print(f"  {label}: {done}/{items} in {elapsed:.1f}s", flush=True)
    return done, elapsed


async def run_provider(
    name: str, data: np.ndarray, queries: np.ndarray, truth: list[set[int]], budget: float
) -> dict[str, Any]:
    """Insert, query and score one provider's index."""
    print(f"{name}:", flush=True)
    async with open_index(name) as (index, reopen):
        await index.create_store(STORE, data.shape[1])
        batches = (len(data) + BATCH - 1) // BATCH

        async def insert(b: int) -> None:
            await index.add_chunks(STORE, chunks(data, b * BATCH, min(len(data), (b + 1) * BATCH)))

        inserted, insert_s = await timed_phase("insert", batches, budget, insert)
        rows = min(len(data), inserted * BATCH)
        found: list[set[int]] = []

        async def query(i: int) -> None:
            hits = await index.query_vector(STORE, queries[i].tolist(), K, None)
            found.append({int(h.chunk_id[1:]) for h in hits})

        await index.query_vector(STORE, queries[0].tolist(), K, None)  # warm caches
        asked, query_s = await timed_phase("query", len(queries), budget, query)
        visible = truth if rows == len(data) else exact_top_k(data[:rows], queries[:asked], K)
        recall = float(np.mean([len(f & t) / K for f, t in zip(found, visible, strict=False)]))
        result = {
            "rows": rows,
            "insert_per_s": rows / insert_s,
            "queries": asked,
            "query_ms": 1000 * query_s / max(asked, 1),
            "qps": asked / query_s,
            "recall_at_10": recall,
        }
        if reopen is not None:
            result["reopen_s"] = await reopen()
        return result


class open_index:  # noqa: N801 - used as `async with open_index(name)`
    """The index of a provider on throwaway storage, and an optional re-open timer."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.cleanup: list[Callable[[], Awaitable[None]]] = []

    async def __aenter__(self) -> tuple[Any, Callable[[], Awaitable[float]] | None]:
        tmp = Path(tempfile.mkdtemp(prefix="corral-vec-bench-"))
        if self.name == "sqlite-vec":
            from corral.providers.inline.vector_io.sqlite_vec.index import SqliteVecIndex

            index = SqliteVecIndex(str(tmp / "vec.db"))
            await index.open()
            self.cleanup.append(index.close)
            return index, None
        if self.name == "faiss":
            return await self._faiss(tmp)
        return await self._pgvector()

    async def _faiss(self, tmp: Path) -> tuple[Any, Callable[[], Awaitable[float]]]:
        from corral.providers.inline.vector_io.faiss.index import FaissIndex
        from corral.storage.kv_sqlite import SqliteKVBackend

        backend = SqliteKVBackend("bench", str(tmp / "faiss_store.db"))
        await backend.open()
        index = FaissIndex(backend.store("vector_io::faiss"))
        await index.open()
        self.cleanup += [backend.close, index.close]

        async def reopen() -> float:
            t0 = time.perf_counter()
            again = FaissIndex(backend.store("vector_io::faiss"))
            await again.open()
            elapsed = time.perf_counter() - t0
            await again.close()
            return elapsed

        return index, reopen

    async def _pgvector(self) -> tuple[Any, None]:
        import asyncpg

        from corral.providers.remote.vector_io.pgvector.index import PGVectorIndex

        db = f"corral_bench_{uuid.uuid4().hex[:8]}"
        admin = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "database": "test"}
        conn = await asyncpg.connect(**admin)
        await conn.execute(f'CREATE DATABASE "{db}"')
        await conn.close()

        async def drop() -> None:
            conn = await asyncpg.connect(**admin)
            await conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            await conn.close()

        self.cleanup.append(drop)
        index = PGVectorIndex({**admin, "database": db, "password": None}, 4, "english")
        await index.open()
        self.cleanup.append(index.close)
        return index, None

    async def __aexit__(self, *exc: object) -> None:
        for step in reversed(self.cleanup):
            await step()


def table(results: dict[str, dict[str, Any]], n: int, dim: int) -> str:
    lines = [
        "| provider | rows | insert chunks/s | query ms (k=10) | queries/s | recall@10 | notes |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        if "error" in r:
            lines.append(f"| {name} | - | - | - | - | - | {r['error']} |")
            continue
        notes = "exact (flat inner product)" if name == "faiss" else "exact"
        if "reopen_s" in r:
            notes += f"; startup rebuild from KV {r['reopen_s']:.1f} s"
        lines.append(
            f"| {name} | {r['rows']} | {r['insert_per_s']:.0f} | {r['query_ms']:.1f} | "
            f"{r['qps']:.1f} | {r['recall_at_10']:.3f} | {notes} |"
        )
    machine = f"{platform.machine()}, Python {platform.python_version()}"
    return (
        f"{n} x {dim} unit vectors, batches of {BATCH} chunks, sequential single queries; "
        f"{machine}.\n\n" + "\n".join(lines) + "\n"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--budget", type=float, default=60.0, help="seconds per phase at most")
    parser.add_argument("--providers", default=",".join(PROVIDERS))
    parser.add_argument("--quick", action="store_true", help="10k vectors, 50 queries, 15 s phases")
    parser.add_argument("--json", type=Path, default=HERE / "results" / "vectors.json")
    args = parser.parse_args()
    if args.quick:
        args.n, args.queries, args.budget = 10_000, 50, 15.0
    data, queries = dataset(args.n, args.dim, args.queries)
    truth = exact_top_k(data, queries, K)
    results: dict[str, dict[str, Any]] = {}
    for name in args.providers.split(","):
        try:
            results[name] = await run_provider(name, data, queries, truth, args.budget)
        except Exception as exc:  # report and go on with the next provider
            results[name] = {"error": f"{type(exc).__name__}: {exc}"[:200]}
            print(f"  failed: {results[name]['error']}", flush=True)
    markdown = table(results, args.n, args.dim)
    print("\n" + markdown)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"n": args.n, "dim": args.dim, "results": results}, indent=2))
    args.json.with_suffix(".md").write_text(markdown)


if __name__ == "__main__":
    asyncio.run(main())
