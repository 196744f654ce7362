"""Inline vector_io providers: sqlite-vec (the default) and faiss."""
