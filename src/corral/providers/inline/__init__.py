"""Inline providers: models, indexes and services that run inside the corral process.

Their heavy libraries (llama-cpp, onnxruntime, sqlite-vec, faiss, ...) live in
extras and are imported only by the factory of a provider that is configured.
Blocking work runs on the provider's own threads, never on the event loop.
"""
