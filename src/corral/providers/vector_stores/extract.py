"""Turn an uploaded file's bytes into text: plain text, Markdown, HTML, PDF.

The kind is chosen from the file name's extension; a name without a known
extension is read as text when its bytes are valid UTF-8 without NULs.
Anything else is an `UnsupportedFile`, and a file of a supported kind that
cannot be read is an `InvalidFile`; both become the attached file's
``last_error``. Runs in a worker thread (PDF parsing is CPU-bound).
"""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from pathlib import PurePosixPath

TEXT_EXTENSIONS = frozenset(
    {
        ".txt", ".text", ".md", ".markdown", ".rst", ".csv", ".tsv", ".json", ".jsonl",
        ".yaml", ".yml", ".xml", ".log", ".py", ".js", ".ts", ".java", ".c", ".h",
        ".cpp", ".go", ".rs", ".rb", ".sh", ".sql", ".tex", ".toml", ".ini",
    }
)  # fmt: skip
HTML_EXTENSIONS = frozenset({".html", ".htm", ".xhtml"})
PDF_EXTENSIONS = frozenset({".pdf"})
SUPPORTED = "plain text and source files, Markdown, HTML and PDF"


class UnsupportedFile(Exception):
    """The file is of a kind that cannot be indexed."""


class InvalidFile(Exception):
    """The file claims a supported kind but cannot be read as one."""


def extract_text(data: bytes, filename: str) -> str:
    """The file's text; raises `UnsupportedFile` or `InvalidFile`."""
    suffix = PurePosixPath(filename.lower()).suffix
    if suffix in PDF_EXTENSIONS or (not suffix and data.startswith(b"%PDF-")):
        return pdf_text(data)
    if suffix in HTML_EXTENSIONS:
        return html_text(_decode(data, filename))
    if suffix in TEXT_EXTENSIONS:
        return _decode(data, filename)
    try:
        return _decode(data, filename)
    except InvalidFile:
        raise UnsupportedFile(
            f"{filename!r} is not a supported file type (supported: {SUPPORTED})"
        ) from None


def _decode(data: bytes, filename: str) -> str:
    encoding = "utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
    if encoding == "utf-8-sig" and b"\x00" in data[:8192]:
        raise InvalidFile(f"{filename!r} looks binary, not text")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        raise InvalidFile(f"{filename!r} is not valid {encoding.upper()} text") from None


def pdf_text(data: bytes) -> str:
    """The text of every page of a PDF (needs the ``pdf`` extra: pypdf)."""
    try:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError
    except ImportError:
        raise UnsupportedFile(
            "PDF support is not installed; install corral[pdf] (pypdf) to index PDF files"
        ) from None
    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise InvalidFile(f"the PDF cannot be read: {exc}") from None
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    if not text:
        raise InvalidFile("the PDF has no extractable text (scanned images are not OCR'd)")
    return text


class _TextOfHTML(HTMLParser):
    _SKIP = frozenset({"script", "style", "head", "noscript", "template"})
    _BLOCK = frozenset(
        {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self._skipping:
            self._skipping -= 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_text(html: str) -> str:
    """Visible text of an HTML document, one line per block element."""
    parser = _TextOfHTML()
    parser.feed(html)
    parser.close()
    lines = (
        re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in "".join(parser.parts).split("\n")
    )
    return "\n".join(line for line in lines if line)
