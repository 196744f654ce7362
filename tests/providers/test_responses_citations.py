"""Citation markers are removed from streamed text, wherever the deltas split them."""

from __future__ import annotations

import pytest

from corral.providers.inline.responses.builtin.citations import CitationFilter, clean_text

FILES = {"file-abc": "a.txt", "file-xyz": "x.txt"}
TEXT = "Etna is active <|file-abc|>. Bread rises <|file-xyz|>, see <|x|> and 1 < 2 <|file-zzz|>."
CLEAN = "Etna is active. Bread rises, see <|x|> and 1 < 2."


def test_whole_text() -> None:
    cleaned, annotations = clean_text(TEXT, FILES)
    assert cleaned == CLEAN
    assert [(a["file_id"], a["index"]) for a in annotations] == [
        ("file-abc", len("Etna is active")),
        ("file-xyz", len("Etna is active. Bread rises")),
    ]
    assert annotations[0] == {
        "type": "file_citation",
        "file_id": "file-abc",
        "filename": "a.txt",
        "index": 14,
    }


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 11])
def test_any_split_gives_the_same_text_and_citations(size: int) -> None:
    citations = CitationFilter(FILES)
    pieces = [citations.feed(TEXT[i : i + size]) for i in range(0, len(TEXT), size)]
    streamed = "".join(pieces) + citations.flush()
    assert streamed == CLEAN
    assert citations.annotations == clean_text(TEXT, FILES)[1]


def test_a_long_false_start_is_released() -> None:
    citations = CitationFilter(FILES)
    out = citations.feed("<|" + "y" * 200)
    assert out.startswith("<|") and len(out) > 100


def test_text_without_markers_passes_through_untouched() -> None:
    citations = CitationFilter({})
    assert citations.feed("plain text, ") + citations.feed("nothing else") + citations.flush() == (
        "plain text, nothing else"
    )
