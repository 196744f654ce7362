"""Split text into overlapping chunks measured in tokens.

Tokens are approximated offline as words and single punctuation marks (the
regex below), which tracks BPE token counts of English prose closely enough
for chunk sizing without shipping a tokenizer's vocabulary. Chunks are slices
of the original text, so whitespace and line breaks inside a chunk survive.
"""

from __future__ import annotations

import re

from corral.apis.vector_io.models import StaticChunking

_TOKEN = re.compile(r"\w+|[^\w\s]", re.UNICODE)


def count_tokens(text: str) -> int:
    """Approximate token count of `text`."""
    return sum(1 for _ in _TOKEN.finditer(text))


def chunk_text(text: str, settings: StaticChunking) -> list[str]:
    """Windows of at most `max_chunk_size_tokens`, each overlapping the previous one."""
    spans = [m.span() for m in _TOKEN.finditer(text)]
    if not spans:
        return []
    size = settings.max_chunk_size_tokens
    step = size - settings.chunk_overlap_tokens
    chunks: list[str] = []
    start = 0
    while True:
        window = spans[start : start + size]
        chunks.append(text[window[0][0] : window[-1][1]])
        if start + size >= len(spans):
            return chunks
        start += step
