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

from corral.apis.vector_io.settings import PromptTemplates
from corral.providers.vector_stores.chunking import count_tokens

_FILE_ID = re.compile(r"^file-[A-Za-z0-9_\-]{1,120}$")
_URL_ID = re.compile(r"^url-[0-9]{1,6}$")
_MAX_MARKER = 140


def marker(file_id: str) -> str:
    """The marker the model writes to cite a file."""
    return f"<|{file_id}|>"


class _Fields(dict[str, Any]):
    """Template fields; a placeholder the template names but corral lacks stays as written."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _fill(template: str, fields: dict[str, Any]) -> str:
    # ``{chunk.content}`` is a dotted placeholder in Llama Stack's templates: give it as a key.
    return template.replace("{chunk.content}", "{chunk_content}").format_map(_Fields(fields))


def format_results(
    query: str,
    results: Sequence[dict[str, Any]],
    prompts: PromptTemplates | None = None,
    max_tokens: int | None = None,
) -> str:
    """The tool message the model reads for one file_search call.

    Written with the run config's ``vector_stores`` templates (Llama Stack's by
    default): a header, one block per result (with its citation marker when
    annotations are on), a footer and the context line. Results past
    `max_tokens` (``chunk_retrieval_params.max_tokens_in_context``) are left out.
    """
    prompts = prompts or PromptTemplates()
    if not results:
        return f'file_search found nothing for "{query}".'
    blocks: list[str] = []
    used = 0
    for index, hit in enumerate(results, 1):
        block = _result_block(index, hit, prompts)
        used += count_tokens(block)
        if max_tokens is not None and used > max_tokens and blocks:
            break
        blocks.append(block)
    fields = {"num_chunks": len(blocks), "query": query}
    instruction = prompts.annotation_instruction if prompts.annotations else ""
    parts = [
        _fill(prompts.header, fields),
        *blocks,
        _fill(prompts.footer, fields),
        _fill(prompts.context, {**fields, "annotation_instruction": instruction}),
    ]
    return "".join(p if p.endswith("\n") else p + "\n" for p in parts)


def _result_block(index: int, hit: dict[str, Any], prompts: PromptTemplates) -> str:
    text = str(hit.get("text") or "").strip()
    metadata = {"filename": hit.get("filename") or "", **(hit.get("attributes") or {})}
    score = hit.get("score")
    if isinstance(score, int | float):
        metadata["score"] = round(float(score), 3)
    if prompts.annotations:
        metadata_text = ", ".join(f"{k}: {v}" for k, v in metadata.items())
        fields = {
            "index": index,
            "metadata_text": metadata_text,
            "file_id": hit["file_id"],
            "chunk_text": text,
        }
        return _fill(prompts.annotated_chunk, fields)
    return _fill(prompts.chunk, {"index": index, "chunk_content": text, "metadata": metadata})


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
