"""Inline inference providers: embedded chat models (llama-cpp) and embeddings (MiniLM)."""
