"""A small corpus whose documents share few words, and a PDF writer for it."""

from __future__ import annotations

PDF_TEXT = "Photosynthesis turns sunlight, water and carbon dioxide into sugar inside chloroplasts."

HTML = (
    "<html><head><title>Chess</title><style>.x { color: red }</style>"
    "<script>var hidden = 'zebra';</script></head><body><h1>Chess pieces</h1>"
    "<p>The knight moves in an L shape and the bishop moves diagonally.</p></body></html>"
)


def minimal_pdf(text: str) -> bytes:
    """A one-page PDF showing `text` (Helvetica), with a correct xref table."""
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = f"BT /F1 12 Tf 72 720 Td ({escaped}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


#: name → (content, attributes)
CORPUS: dict[str, tuple[str | bytes, dict[str, str | float | bool]]] = {
    "volcanoes.txt": (
        "Volcanoes erupt when magma rises through the crust. Lava flows and ash clouds follow "
        "an eruption.",
        {"topic": "geology", "year": 2019, "reviewed": True},
    ),
    "baking.md": (
        "# Baking bread\n\nKnead the dough, let the yeast rise, then bake the loaf in a hot oven.",
        {"topic": "cooking", "year": 2021, "reviewed": False},
    ),
    "tides.txt": (
        "Ocean tides come from the gravity of the moon pulling on the seas twice a day.",
        {"topic": "geology", "year": 2023, "reviewed": True},
    ),
    "chess.html": (HTML, {"topic": "games", "year": 2022, "reviewed": False}),
    "plants.pdf": (minimal_pdf(PDF_TEXT), {"topic": "biology", "year": 2024, "reviewed": True}),
}

LONG_TEXT = " ".join(
    f"Paragraph {i} tells about item{i} and its neighbour item{i + 1}." for i in range(60)
)
