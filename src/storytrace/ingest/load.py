"""Turn a path into text safely: existence, size, binary data and encodings are checked here.

Every refusal is an InputError whose message names the file and what is wrong with it, so the
CLI can print it on one line.
"""

from __future__ import annotations

import codecs
import gzip
import zlib
from collections.abc import Iterator
from pathlib import Path

from storytrace.errors import InputError

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024  # one article: beyond this it is not an article
_SNIFF = 8192


def read_bytes(path: str | Path, limit: int | None = MAX_DOCUMENT_BYTES) -> bytes:
    """The raw bytes of ``path``, refusing what cannot be an article file.

    ``limit`` caps the size in bytes (None for containers such as JSONL or WARC, which are
    streamed). A gzip file is decompressed, under the same cap.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(
            f"{path}: is a directory, not a file (use `storytrace ingest` for folders)"
        )
    if not path.is_file():
        raise InputError(f"{path}: not a regular file")
    size = path.stat().st_size
    if limit is not None and size > limit:
        raise InputError(
            f"{path}: {size / 1e6:.1f} MB is too large for one article (limit {limit / 1e6:.0f} MB)"
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    if data[:2] == b"\x1f\x8b":
        data = _gunzip(data, path, limit)
    if not data.strip():
        raise InputError(f"{path}: the file is empty")
    return data


def _gunzip(data: bytes, path: Path, limit: int | None) -> bytes:
    try:
        out = gzip.decompress(data) if limit is None else _bounded_gunzip(data, limit)
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"{path}: corrupt gzip data ({exc})") from exc
    return out


def _bounded_gunzip(data: bytes, limit: int) -> bytes:
    inflater = zlib.decompressobj(wbits=31)
    out = inflater.decompress(data, limit + 1)
    if len(out) > limit:
        raise OSError(f"more than {limit / 1e6:.0f} MB once decompressed")
    if not inflater.eof:
        raise EOFError("truncated")
    return out


def looks_binary(data: bytes) -> bool:
    """NUL bytes or many control characters near the start: not a text format."""
    head = data[:_SNIFF]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    if b"\x00" in head:
        return True
    controls = sum(1 for byte in head if byte < 32 and byte not in (9, 10, 12, 13, 27))
    return controls > len(head) * 0.05


def decode(data: bytes, source: str = "input") -> str:
    """Bytes to text: a BOM wins, then strict UTF-8, then the best guess, then cp1252.

    Invalid UTF-8 is common in scraped archives (cp1252 pages saved as UTF-8); falling back
    to a guess keeps the text instead of refusing the file.
    """
    if looks_binary(data):
        raise InputError(f"{source}: binary data, not text, HTML or JSON")
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:1_000_000]).best()
    if best is not None and best.encoding:
        try:
            return data.decode(best.encoding, errors="replace")
        except LookupError:
            pass
    return data.decode("cp1252", errors="replace")


def read_text(path: str | Path, limit: int | None = MAX_DOCUMENT_BYTES) -> str:
    """``read_bytes`` then ``decode``."""
    return decode(read_bytes(path, limit), str(path))


def stream_lines(path: str | Path) -> Iterator[str]:
    """The lines of a line-oriented container (JSONL), read and decoded one at a time.

    A JSONL archive can be larger than memory, so it is never read whole. Each line is
    UTF-8 (as JSON Lines requires) or, failing that, cp1252; a gzip file is decompressed as
    it is read, and a corrupt or truncated gzip stream ends the file with an InputError
    after the lines before the damage.
    """
    path = Path(path)
    head = _checked_head(path)
    if looks_binary(head):
        raise InputError(f"{path}: binary data, not text, HTML or JSON")
    opener = gzip.open if head[:2] == b"\x1f\x8b" else open
    try:
        with opener(path, "rb") as handle:
            for n, raw in enumerate(handle):
                if n == 0 and raw.startswith(codecs.BOM_UTF8):
                    raw = raw[len(codecs.BOM_UTF8) :]
                try:
                    yield raw.decode("utf-8")
                except UnicodeDecodeError:
                    yield raw.decode("cp1252", errors="replace")
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise InputError(f"{path}: corrupt gzip data ({exc})") from exc


def _checked_head(path: Path) -> bytes:
    """The first bytes (decompressed when gzip), after the checks ``read_bytes`` makes."""
    if not path.is_file():
        read_bytes(path)  # raises the right one-line error
    with path.open("rb") as handle:
        head = handle.read(_SNIFF)
    if head[:2] == b"\x1f\x8b":
        try:
            with gzip.open(path, "rb") as inner:
                unpacked = inner.read(_SNIFF)
        except (OSError, EOFError, zlib.error) as exc:
            raise InputError(f"{path}: corrupt gzip data ({exc})") from exc
        if not unpacked.strip():
            raise InputError(f"{path}: the file is empty")
        return head[:2] + unpacked  # keeps the gzip mark for the caller
    if not head.strip():
        raise InputError(f"{path}: the file is empty")
    return head
