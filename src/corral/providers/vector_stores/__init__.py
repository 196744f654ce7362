"""The OpenAI vector stores API over any `VectorIndex`, shared by the vector_io providers.

`VectorStores` (engine.py) keeps store, file and batch records in the
provider's KV store, ingests attached files in the background (extract.py →
chunking.py → embeddings through the inference router → the index) and
answers searches (filters.py, ranking.py). Each provider composes it with its
own index; nothing here knows which backend it talks to.
"""

from corral.providers.vector_stores.engine import VectorStores

__all__ = ["VectorStores"]
