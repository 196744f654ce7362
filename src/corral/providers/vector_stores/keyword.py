"""An in-memory BM25 keyword index, for backends without full-text search (faiss).

Documents are tokenised into lower-case words; a query matches a document when
any of its words occurs (OR semantics, like the FTS5 and PostgreSQL queries of
the other backends), scored with Okapi BM25 (k1 = 1.2, b = 0.75).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable

_WORD = re.compile(r"\w+", re.UNICODE)
K1, B = 1.2, 0.75


def words(text: str) -> list[str]:
    """Lower-case word tokens."""
    return [w.lower() for w in _WORD.findall(text)]


class BM25Index:
    """Term statistics of a set of documents keyed by id."""

    def __init__(self) -> None:
        self._terms: dict[str, Counter[str]] = {}
        self._lengths: dict[str, int] = {}
        self._postings: dict[str, set[str]] = {}
        self._total_length = 0

    def add(self, doc_id: str, text: str) -> None:
        """Index one document (replacing an existing one with the same id)."""
        self.remove(doc_id)
        counts = Counter(words(text))
        self._terms[doc_id] = counts
        self._lengths[doc_id] = sum(counts.values())
        self._total_length += self._lengths[doc_id]
        for term in counts:
            self._postings.setdefault(term, set()).add(doc_id)

    def remove(self, doc_id: str) -> None:
        """Forget one document (no error when unknown)."""
        counts = self._terms.pop(doc_id, None)
        if counts is None:
            return
        self._total_length -= self._lengths.pop(doc_id)
        for term in counts:
            posting = self._postings[term]
            posting.discard(doc_id)
            if not posting:
                del self._postings[term]

    def search(
        self, query: str, k: int, allowed: Iterable[str] | None = None
    ) -> list[tuple[str, float]]:
        """The `k` best (doc_id, score) pairs for `query`, best first."""
        n = len(self._terms)
        if n == 0:
            return []
        allowed_set = set(allowed) if allowed is not None else None
        average = self._total_length / n
        scores: dict[str, float] = {}
        for term in set(words(query)):
            posting = self._postings.get(term)
            if not posting:
                continue
            idf = math.log(1 + (n - len(posting) + 0.5) / (len(posting) + 0.5))
            for doc_id in posting:
                if allowed_set is not None and doc_id not in allowed_set:
                    continue
                tf = self._terms[doc_id][term]
                norm = tf + K1 * (1 - B + B * self._lengths[doc_id] / average)
                scores[doc_id] = scores.get(doc_id, 0.0) + idf * tf * (K1 + 1) / norm
        return sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:k]
