"""file_search and web_search results as the model reads them, and its citations.

Each result is shown to the model with a marker such as ``<|file-abc123|>``
(``<|url-3|>`` for a web page) and the instruction to write that marker after
a sentence that uses it. The model's text is then filtered: markers are
removed (with the spaces just before them) and each one becomes a
``file_citation`` annotation at that position of the cleaned text, or a
``url_citation`` spanning the sentence it ends. The filter works on streamed
deltas: text that could be the start of a marker is held back until it is
clearly one or clearly not.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

_FILE_ID = re.compile(r"^file-[A-Za-z0-9_\-]{1,120}$")
_URL_ID = re.compile(r"^url-[0-9]{1,6}$")
_MAX_MARKER = 140

CITE_INSTRUCTION = (
    "When an answer uses a result, write that result's marker (for example {marker}) right "
    "after the sentence that uses it, before the full stop."
)


def marker(file_id: str) -> str:
    """The marker the model writes to cite a file."""
    return f"<|{file_id}|>"


def format_results(query: str, results: Sequence[dict[str, Any]]) -> str:
    """The tool message the model reads for one file_search call."""
    if not results:
        return f'file_search found nothing for "{query}".'
    lines = [f'file_search found {len(results)} result(s) for "{query}":', ""]
    for index, hit in enumerate(results, 1):
        score = hit.get("score")
        scored = f" (score {score:.3f})" if isinstance(score, int | float) else ""
        lines.append(f"[{index}] {marker(hit['file_id'])} {hit.get('filename') or ''}{scored}")
        lines.append(str(hit.get("text") or "").strip())
        lines.append("")
    lines.append(CITE_INSTRUCTION.format(marker=marker(results[0]["file_id"])))
    return "\n".join(lines)


class CitationFilter:
    """Removes citation markers from streamed text and records them as annotations."""

    def __init__(
        self, files: dict[str, str], urls: dict[str, tuple[str, str]] | None = None
    ) -> None:
        #: file id → filename, for the files the model was shown.
        self.files = files
        #: ``url-N`` → (url, title), for the web pages the model was shown.
        self.urls = urls if urls is not None else {}
        self.annotations: list[dict[str, Any]] = []
        self._length = 0
        self._pending = ""
        self._sent: list[str] = []  # the cleaned text so far (url citations span a sentence)

    def feed(self, delta: str) -> str:
        """The part of the text so far that can be sent now."""
        buf, out = self._pending + delta, []
        while True:
            start = buf.find("<|")
            if start < 0:
                safe = buf[:-1] if buf.endswith("<") else buf
                head = safe.rstrip(" ")
                out.append(head)
                self._pending = buf[len(head) :]
                break
            end = buf.find("|>", start + 2)
            if end < 0:
                if len(buf) - start > _MAX_MARKER:  # too long to be a marker
                    out.append(buf[: start + 2])
                    buf = buf[start + 2 :]
                    continue
                head = buf[:start].rstrip(" ")
                out.append(head)
                self._pending = buf[len(head) :]
                break
            inner = buf[start + 2 : end]
            if _FILE_ID.match(inner) or _URL_ID.match(inner):
                out.append(buf[:start].rstrip(" "))
                self._cite(inner, self._length + sum(len(p) for p in out), out)
            else:
                out.append(buf[: end + 2])
            buf = buf[end + 2 :]
        text = "".join(out)
        self._length += len(text)
        self._sent.append(text)
        return text

    def flush(self) -> str:
        """Whatever is still held back, once the text has ended."""
        rest, self._pending = self._pending, ""
        self._length += len(rest)
        return rest

    def _cite(self, file_id: str, index: int, out: list[str]) -> None:
        if file_id in self.urls:
            url, title = self.urls[file_id]
            text = "".join(self._sent) + "".join(out)
            stop, line = text.rfind(". ", 0, index), text.rfind("\n", 0, index)
            start = max(stop + 2 if stop >= 0 else 0, line + 1)
            self.annotations.append(
                {
                    "type": "url_citation",
                    "url": url,
                    "title": title,
                    "start_index": min(start, index),
                    "end_index": index,
                }
            )
            return
        if file_id not in self.files:
            return  # a marker for a file the model never saw: dropped, not cited
        self.annotations.append(
            {
                "type": "file_citation",
                "file_id": file_id,
                "filename": self.files[file_id],
                "index": index,
            }
        )


def clean_text(text: str, files: dict[str, str]) -> tuple[str, list[dict[str, Any]]]:
    """A whole text without markers, and its annotations."""
    citations = CitationFilter(files)
    cleaned = citations.feed(text) + citations.flush()
    return cleaned, citations.annotations
