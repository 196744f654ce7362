"""The vector_io API contract: OpenAI-compatible vector stores, their files and search."""
