"""The files API contract: OpenAI-compatible file upload, listing, retrieval and deletion."""
