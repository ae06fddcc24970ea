"""Which reader handles a file, and the one entry point that yields its Articles.

    read_path(path) -> Iterator[Article | Rejected]

A file's format comes from its name and, when the name says nothing, from its first bytes.
Single-article formats (text, HTML) are capped in size; containers (JSONL, CSV, JSON,
feeds, WARC) are read record by record and a broken record is a Rejected, not a stop.
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator
from pathlib import Path

from storytrace.errors import InputError
from storytrace.ingest import load
from storytrace.ingest.encoding import decode, guess_codec, utf16_without_bom
from storytrace.ingest.limits import DEFAULT_LIMITS, Limits
from storytrace.ingest.metadata import NONE, Metadata, sidecar_for
from storytrace.ingest.records import FieldMap, guarded, read_csv, read_json, read_jsonl
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
    ".parquet": "parquet",
    ".pq": "parquet",
}
FORMATS = ("text", "html", "json", "jsonl", "csv", "feed", "warc", "parquet")


def _inner_name(path: load.Source) -> str:
    name = load.file_name(path).lower()
    for suffix in (".gz", ".bz2", ".xz"):
        name = name.removesuffix(suffix)
    return name


def sniff(head: bytes) -> str:
    """Guess a format from the first bytes of a file."""
    if head.startswith(b"PAR1"):
        return "parquet"
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


def detect_format(path: load.Source, head: bytes) -> str:
    """The reader for ``path``: by extension first, then by content."""
    name = _inner_name(path)
    for ext in sorted(_EXTENSIONS, key=len, reverse=True):
        if name.endswith(ext):
            fmt = _EXTENSIONS[ext]
            if fmt == "feed" and sniff(head) != "feed":
                return sniff(head)
            return fmt
    return sniff(head)


def read_path(
    path: str | Path | load.Blob,
    fmt: str | None = None,
    fields: FieldMap | None = None,
    workers: int = 1,
    limits: Limits = DEFAULT_LIMITS,
    span: tuple[int, int, int] | None = None,
    metadata: Metadata = NONE,
) -> Iterator[Article | Rejected]:
    """Every Article in one file (InputError when the file as a whole cannot be read).

    ``workers`` > 1 parses a streamed JSONL file in a process pool. ``span`` (start, end,
    lines before start) reads one piece of a big JSON Lines file (``paths.line_spans``).
    Nothing is read before the file is known to be a regular file, and every read stays
    within ``limits``. Each article then gets what it lacks from the sidecar beside a
    local file, else from ``metadata`` (see ``storytrace.ingest.metadata``): this is the
    one place every command's records pass through.
    """
    path = path if isinstance(path, load.Blob) else Path(path)
    load.check_regular(path)
    extra = (sidecar_for(path) if isinstance(path, Path) else NONE).or_else(metadata)
    records = _records(path, fmt, fields, workers, limits, span)
    if not extra:
        yield from records
        return
    for item in records:
        yield extra.fill(item) if isinstance(item, Article) else item


def _records(
    path: Path | load.Blob,
    fmt: str | None,
    fields: FieldMap | None,
    workers: int,
    limits: Limits,
    span: tuple[int, int, int] | None,
) -> Iterator[Article | Rejected]:
    """The records of one file as its reader gives them."""
    source = load.display_path(path)
    head = load.head_bytes(path, limits)
    fmt = fmt or detect_format(path, head)
    if fmt not in FORMATS:
        raise InputError(f"{source}: unknown format {fmt!r} (one of {', '.join(FORMATS)})")
    if fmt in SINGLE:
        yield guarded(source, lambda: _single(path, fmt, source, limits))
        return
    if fmt == "warc":
        from storytrace.ingest.warc import read_warc

        yield from read_warc(path, source, limits)
        return
    if fmt == "csv":
        yield from _csv(path, source, fields, head, limits)
        return
    if fmt == "parquet":
        from storytrace.ingest.records import read_parquet

        yield from read_parquet(path, source, fields, limits)
        return
    if fmt == "jsonl" and not head.startswith(_UTF16_MARKS) and not utf16_without_bom(head):
        lines = load.iter_lines(path, limits, span[:2] if span else None)
        yield from read_jsonl(lines, source, fields, workers, limits, span[2] + 1 if span else 1)
        return
    data = load.read_capped(path, limits.max_whole_file_bytes, "--max-file-mb", limits)
    if fmt == "feed":
        from storytrace.ingest.feed import read_feed

        yield from read_feed(data, source, limits)
        return
    if load.looks_binary(data):
        raise InputError(f"{source}: binary data, not text, HTML or JSON")
    text = decode(data)
    if fmt == "jsonl" or sniff(data[:4096]) == "jsonl":
        lines = (line.encode("utf-8") for line in io.StringIO(text))
        yield from read_jsonl(lines, source, fields, 1, limits)
    else:
        yield from read_json(text, source, fields, limits)


_UTF16_MARKS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def _single(path: load.Source, fmt: str, source: str, limits: Limits) -> Article:
    text = load.read_text(path, limits, html=fmt == "html")
    if fmt == "html":
        from storytrace.ingest.html import parse_html

        try:
            return parse_html(text, source)
        except InputError as exc:
            raise InputError(f"{source}: {exc}") from exc
    from storytrace.ingest.plaintext import parse_plaintext

    return parse_plaintext(text, source)


def _csv(
    path: load.Source, source: str, fields: FieldMap | None, head: bytes, limits: Limits
) -> Iterator[Article | Rejected]:
    """CSV/TSV streamed row by row in the encoding its first kilobytes show."""
    codec = guess_codec(head, final=False)
    with load.open_inflated(path, limits) as handle:
        text = io.TextIOWrapper(handle, encoding=codec, errors="replace", newline="")
        tab = _inner_name(path).endswith(".tsv")
        yield from read_csv(text, source, fields, "\t" if tab else None, limits)
