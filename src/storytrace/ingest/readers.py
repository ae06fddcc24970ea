"""Which reader handles a file, and the one entry point that yields its Articles.

    read_path(path) -> Iterator[Article | Rejected]

A file's format comes from its name and, when the name says nothing, from its first bytes.
Single-article formats (text, HTML) are capped in size; containers (JSONL, CSV, JSON,
feeds, WARC) are read record by record and a broken record is a Rejected, not a stop.
"""

from __future__ import annotations

import codecs
import io
import zlib
from collections.abc import Iterator
from pathlib import Path

from storytrace.errors import InputError
from storytrace.ingest import load
from storytrace.ingest.records import FieldMap, read_csv, read_json, read_jsonl
from storytrace.model import Article, Rejected

SINGLE = ("text", "html")
_EXTENSIONS = {
    ".txt": "text",
    ".text": "text",
    ".md": "text",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".shtml": "html",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".tsv": "csv",
    ".rss": "feed",
    ".atom": "feed",
    ".xml": "feed",
    ".warc": "warc",
    ".arc": "warc",
}
FORMATS = ("text", "html", "json", "jsonl", "csv", "feed", "warc")


def _inner_name(path: Path) -> str:
    name = path.name.lower()
    return name[:-3] if name.endswith(".gz") else name


def sniff(head: bytes) -> str:
    """Guess a format from the first bytes of a file."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:2048].lower()
    if text.startswith(b"warc/"):
        return "warc"
    if text.startswith((b"{", b"[")):
        first_line = text.split(b"\n", 1)[0].strip()
        return "jsonl" if first_line.endswith(b"}") and b"\n{" in text else "json"
    if b"<rss" in text or b"<feed" in text or b"<rdf:rdf" in text:
        return "feed"
    if (
        text.startswith((b"<!doctype html", b"<html", b"<?xml"))
        or b"<body" in text
        or b"<p>" in text
    ):
        return "html"
    return "text"


def detect_format(path: Path, head: bytes) -> str:
    """The reader for ``path``: by extension first, then by content."""
    name = _inner_name(path)
    for ext in sorted(_EXTENSIONS, key=len, reverse=True):
        if name.endswith(ext):
            fmt = _EXTENSIONS[ext]
            if fmt == "feed" and sniff(head) != "feed":
                return sniff(head)
            return fmt
    if name.endswith(".warc.gz"):
        return "warc"
    return sniff(head)


def _utf16(path: Path) -> bool:
    """A UTF-16 file (BOM) cannot be split into lines byte-wise: read it whole instead."""
    with path.open("rb") as handle:
        return handle.read(2) in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def _head(path: Path) -> bytes:
    with path.open("rb") as handle:
        head = handle.read(65536)
    if head[:2] == b"\x1f\x8b":
        try:  # only the start of the first member: a corrupt tail is the reader's business
            return zlib.decompressobj(wbits=31).decompress(head, 4096)
        except zlib.error as exc:
            raise InputError(f"{path}: corrupt gzip data ({exc})") from exc
    return head[:4096]


def read_path(
    path: str | Path, fmt: str | None = None, fields: FieldMap | None = None, workers: int = 1
) -> Iterator[Article | Rejected]:
    """Every Article in one file (InputError when the file as a whole cannot be read).

    ``workers`` > 1 parses a streamed JSONL file in a process pool.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(
            f"{path}: is a directory, not a file (use `storytrace ingest` for folders)"
        )
    fmt = fmt or detect_format(path, _head(path))
    if fmt not in FORMATS:
        raise InputError(f"{path}: unknown format {fmt!r} (one of {', '.join(FORMATS)})")
    source = str(path)
    if fmt in SINGLE:
        text = load.read_text(path)
        if fmt == "html":
            from storytrace.ingest.html import parse_html

            try:
                yield parse_html(text, source)
            except InputError as exc:
                raise InputError(f"{path}: {exc}") from exc
        else:
            from storytrace.ingest.plaintext import parse_plaintext

            yield parse_plaintext(text, source)
        return
    if fmt == "warc":
        from storytrace.ingest.warc import read_warc

        yield from read_warc(path, source)
        return
    if fmt == "jsonl" and not _utf16(path):
        yield from read_jsonl(load.stream_lines(path), source, fields, workers)
        return
    data = load.read_bytes(path, limit=None)
    if fmt == "feed":
        from storytrace.ingest.feed import read_feed

        yield from read_feed(data, source)
        return
    text = load.decode(data, source)
    if fmt == "jsonl":
        yield from read_jsonl(io.StringIO(text), source, fields)
    elif fmt == "json":
        if sniff(data[:4096]) == "jsonl":
            yield from read_jsonl(io.StringIO(text), source, fields)
        else:
            yield from read_json(text, source, fields)
    else:
        yield from read_csv(
            text, source, fields, delimiter="\t" if path.name.lower().endswith(".tsv") else None
        )
