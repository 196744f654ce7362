"""The pure parts of the vector stores engine: extraction, chunking, filters, ranking, BM25."""

from __future__ import annotations

from typing import Any

import pytest

from corral.apis.vector_io.api import ChunkHit
from corral.apis.vector_io.models import StaticChunking
from corral.apis.vector_io.paging import paginate
from corral.errors import InvalidParameter
from corral.providers.vector_stores.chunking import chunk_text, count_tokens
from corral.providers.vector_stores.extract import (
    InvalidFile,
    UnsupportedFile,
    extract_text,
    html_text,
)
from corral.providers.vector_stores.filters import compile_filter
from corral.providers.vector_stores.keyword import BM25Index
from corral.providers.vector_stores.ranking import fuse_rrf, fuse_weighted
from tests.vector_io.corpus import PDF_TEXT, minimal_pdf


def test_extraction_by_kind() -> None:
    assert extract_text(b"\xef\xbb\xbfplain", "a.txt") == "plain"
    assert extract_text("caf\u00e9".encode("utf-16"), "a.md") == "caf\u00e9"
    assert extract_text(b"no extension but text", "README") == "no extension but text"
    assert extract_text(minimal_pdf(PDF_TEXT), "doc.pdf") == PDF_TEXT
    assert extract_text(minimal_pdf("x y"), "blob") == "x y"  # sniffed by %PDF-
    with pytest.raises(UnsupportedFile, match="supported: plain text"):
        extract_text(b"\x89PNG\r\n\x1a\n\x00\x00", "image.png")
    with pytest.raises(InvalidFile):
        extract_text(b"\xff\xfe\xfa", "bad.txt")
    with pytest.raises(InvalidFile, match="cannot be read"):
        extract_text(b"%PDF-1.4 garbage", "x.pdf")


def test_html_keeps_visible_text_in_blocks() -> None:
    html = "<head><style>p{}</style></head><p>One &amp; two</p><script>x()</script><div>Three</div>"
    assert html_text(html) == "One & two\nThree"


def test_chunks_overlap_and_cover_the_text() -> None:
    text = " ".join(f"w{i}" for i in range(250))
    chunks = chunk_text(text, StaticChunking(max_chunk_size_tokens=100, chunk_overlap_tokens=50))
    assert [count_tokens(c) for c in chunks] == [100, 100, 100, 100]
    assert chunks[0].startswith("w0 ") and chunks[-1].endswith("w249")
    assert chunks[1].startswith("w50 ")
    assert chunk_text("   ", StaticChunking()) == []
    with pytest.raises(ValueError, match="half"):
        StaticChunking(max_chunk_size_tokens=100, chunk_overlap_tokens=51)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"type": "eq", "key": "a", "value": 1}, {"one"}),
        ({"type": "ne", "key": "a", "value": 1}, {"two", "none"}),
        ({"type": "gt", "key": "a", "value": 1}, {"two"}),
        ({"type": "lte", "key": "a", "value": 2}, {"one", "two"}),
        ({"type": "in", "key": "s", "value": ["x", "z"]}, {"one"}),
        ({"type": "nin", "key": "s", "value": ["x"]}, {"two", "none"}),
        ({"type": "eq", "key": "b", "value": True}, {"two"}),
        ({"type": "gt", "key": "s", "value": 1}, set()),  # string vs number: never true
        (
            {"type": "or", "filters": [{"type": "eq", "key": "a", "value": 1},
                                       {"type": "eq", "key": "b", "value": True}]},
            {"one", "two"},
        ),
    ],
)  # fmt: skip
def test_filters(spec: dict[str, Any], expected: set[str]) -> None:
    files: dict[str, dict[str, Any]] = {
        "one": {"a": 1.0, "s": "x", "b": False},
        "two": {"a": 2, "s": "y", "b": True},
        "none": {},
    }
    predicate = compile_filter(spec)
    assert {name for name, attrs in files.items() if predicate(attrs)} == expected


@pytest.mark.parametrize(
    "bad",
    [
        "eq",
        {"type": "eq", "value": 1},
        {"type": "in", "key": "a", "value": 1},
        {"type": "and", "filters": []},
        {"type": "like", "key": "a", "value": 1},
    ],
)
def test_bad_filters_are_invalid_parameters(bad: Any) -> None:
    with pytest.raises(InvalidParameter):
        compile_filter(bad)


def hit(chunk_id: str, score: float) -> ChunkHit:
    return ChunkHit(chunk_id, "f", 0, chunk_id, score)


def test_rank_fusion() -> None:
    vector = [hit("a", 0.9), hit("b", 0.8), hit("c", 0.1)]
    keyword = [hit("c", 9.0), hit("a", 3.0)]
    fused = fuse_rrf([vector, keyword], 60)
    assert [h.chunk_id for h in fused] == ["a", "c", "b"]
    assert fused[0].score == pytest.approx(1 / 61 + 1 / 62)
    weighted = fuse_weighted(vector, keyword, alpha=0.2)
    assert [h.chunk_id for h in weighted][0] == "c"


def test_bm25_ranks_rarer_and_repeated_terms_higher() -> None:
    index = BM25Index()
    index.add("1", "the cat sat on the mat")
    index.add("2", "the dog chased the cat and the cat ran")
    index.add("3", "stock markets fell")
    assert [d for d, _ in index.search("cat", 5)] == ["2", "1"]
    assert [d for d, _ in index.search("markets cat", 5, allowed=["3", "1"])] == ["3", "1"]
    index.remove("2")
    assert [d for d, _ in index.search("dog", 5)] == []


def test_paging() -> None:
    class R:
        def __init__(self, i: int) -> None:
            self.id, self.created_at = f"r{i}", i

    rows = [R(i) for i in range(5)]
    page = paginate(rows, lambda r: r, limit=2, order="asc", after="r1", before=None)
    assert [r.id for r in page.data] == ["r2", "r3"] and page.has_more
    page = paginate(rows, lambda r: r, limit=10, order="desc", after=None, before="r2")
    assert [r.id for r in page.data] == ["r4", "r3"] and not page.has_more
    with pytest.raises(InvalidParameter):
        paginate(rows, lambda r: r, limit=2, order="asc", after="nope", before=None)
