"""Child process for the cross-process tests: increments or writes, reporting acknowledgements."""

from __future__ import annotations

import asyncio
import json
import sys

from corral.config.storage import KVReference, StorageConfig
from corral.storage.manager import StorageManager


async def main(backend: dict[str, object], prefix: str, namespace: str, mode: str, n: int) -> None:
    manager = StorageManager(
        StorageConfig.model_validate({"backends": {"main": backend}}), redis_key_prefix=prefix
    )
    await manager.open()
    store = manager.kv(KVReference(backend="main", namespace=namespace))
    try:
        if mode == "incr":
            results = await asyncio.gather(*(store.incr("shared", 300) for _ in range(n)))
            sys.stdout.write(json.dumps([c for c, _ in results]) + "\n")
        else:
            for i in range(n):
                await store.set(f"k{i:06d}", str(i))
                sys.stdout.write(f"ack {i}\n")
                sys.stdout.flush()
    finally:
        await manager.close()


if __name__ == "__main__":
    spec = json.loads(sys.argv[1])
    asyncio.run(main(spec["backend"], spec["prefix"], spec["namespace"], spec["mode"], spec["n"]))
