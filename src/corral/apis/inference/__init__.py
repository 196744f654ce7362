"""The inference API contract: OpenAI-compatible chat completions, completions, embeddings."""
