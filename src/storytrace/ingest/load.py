"""Open untrusted files within budgets: regular files only, bounded decompression, bounded lines.

Every refusal is an InputError whose message names the file and what is wrong with it, so the
CLI can print it on one line. Nothing here reads a whole file unless a cap allows it:

- ``open_file`` refuses anything that is not a regular file (a FIFO would block the reader
  forever, a device could be endless) without waiting on it: the file is opened
  non-blocking and checked with ``fstat`` before a byte is read.
- ``open_inflated`` undoes gzip, bzip2 or xz as it is read and stops at the decompressed
  budget or at an inflation ratio no real text reaches (a decompression bomb).
- ``read_document`` reads one article file under the record cap; ``iter_lines`` yields the
  lines of a container with each line capped, an over-long line skipped without keeping it.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import stat
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from storytrace.errors import InputError
from storytrace.ingest.encoding import declared_charset, decode, looks_binary
from storytrace.ingest.limits import DEFAULT_LIMITS, Limits, size_text

_SNIFF = 8192
_PIECE = 1 << 20  # decompressed bytes produced between two checks of the budget
_COMPRESSED = ((b"\x1f\x8b", "gzip"), (b"BZh", "bzip2"), (b"\xfd7zXZ\x00", "xz"))
_CORRUPT = (OSError, EOFError, zlib.error, lzma.LZMAError, ValueError)
_KINDS = {
    stat.S_IFIFO: "a named pipe (FIFO)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


@dataclass(frozen=True, slots=True)
class Blob:
    """A file's bytes already in memory, with its name.

    An engine that reaches files this process cannot open itself (HDFS or S3 through
    Spark's Hadoop connectors) hands them over as a Blob; every reader takes one wherever
    it takes a path, with the same budgets.
    """

    name: str
    data: bytes

    def stat_size(self) -> int:
        return len(self.data)


Source = Path | Blob


def file_name(source: Source) -> str:
    """The last part of a path or a Blob's name ("crawl.warc.gz")."""
    return source.name if isinstance(source, Path) else PurePosixPath(source.name).name


def display_path(path: str | Path | Blob) -> str:
    """The path as text that any store or terminal can hold.

    File names are bytes on POSIX; Python keeps undecodable ones as lone surrogates, which
    UTF-8 (SQLite, JSON, a terminal) refuses. They are shown as ``\\xff`` escapes instead.
    """
    if isinstance(path, Blob):
        return path.name
    text = os.fspath(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(text).decode("utf-8", errors="backslashreplace")
    return text


def special_kind(mode: int) -> str | None:
    """What a non-regular, non-directory file is ("a named pipe (FIFO)"), or None."""
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    return _KINDS.get(stat.S_IFMT(mode), "not a regular file")


def check_regular(path: Source) -> os.stat_result | None:
    """The file's stat when it is a regular file; InputError naming what it is otherwise."""
    if isinstance(path, Blob):
        return None
    name = display_path(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputError(f"{name}: no such file") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(
            f"{name}: is a directory, not a file (use `storytrace ingest` for folders)"
        )
    kind = special_kind(info.st_mode)
    if kind is not None:
        raise InputError(f"{name}: {kind}, not a regular file; refused without reading it")
    return info


def open_file(path: Source) -> BinaryIO:
    """A regular file opened for reading, checked on the open descriptor itself."""
    if isinstance(path, Blob):
        return io.BufferedReader(io.BytesIO(path.data))  # type: ignore[arg-type]
    check_regular(path)
    name = display_path(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise InputError(f"{name}: cannot read ({exc.strerror or exc})") from None
    kind = special_kind(os.fstat(fd).st_mode)
    if kind is not None:  # swapped for a FIFO between the stat and the open
        os.close(fd)
        raise InputError(f"{name}: {kind}, not a regular file; refused without reading it")
    if hasattr(os, "set_blocking"):
        os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def compression_of(head: bytes) -> str | None:
    """ "gzip", "bzip2", "xz" or None, from a file's first bytes."""
    for magic, kind in _COMPRESSED:
        if head.startswith(magic):
            return kind
    return None


class _Budgeted(io.RawIOBase):
    """Decompressed bytes that stop at the caps of ``Limits``."""

    def __init__(
        self, inner: BinaryIO, raw: BinaryIO, limits: Limits, name: str, kind: str
    ) -> None:
        self.inner, self.raw, self.limits, self.name, self.kind = inner, raw, limits, name, kind
        self.total = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        try:  # one decompression step at a time: a larger read would drop the bytes it
            # gathered when the stream turns out damaged further on
            piece = self.inner.read1(min(len(buffer), _PIECE))  # type: ignore[attr-defined]
        except _CORRUPT as exc:
            raise InputError(f"{self.name}: corrupt {self.kind} data ({exc})") from None
        n = len(piece)
        memoryview(buffer)[:n] = piece
        self.total += n
        limits = self.limits
        if self.total > limits.max_inflated_bytes:
            raise InputError(
                f"{self.name}: expands past {size_text(limits.max_inflated_bytes)} once "
                "decompressed (raise with --max-inflated-gb)"
            )
        if self.total > limits.ratio_floor_bytes:
            packed = max(self.raw.tell(), 1)
            if self.total > limits.max_inflation_ratio * packed:
                raise InputError(
                    f"{self.name}: its first {size_text(packed)} expand to "
                    f"{size_text(self.total)}, more than {limits.max_inflation_ratio:.0f}-fold: a "
                    "decompression bomb (raise with --max-inflation-ratio)"
                )
        return n

    def close(self) -> None:
        try:
            self.inner.close()
        finally:
            self.raw.close()
            super().close()


def open_inflated(path: Source, limits: Limits = DEFAULT_LIMITS) -> BinaryIO:
    """The file's bytes, decompressed on the fly when it is gzip, bzip2 or xz."""
    raw = open_file(path)
    head = raw.read(8)
    raw.seek(0)
    kind = compression_of(head)
    if kind is None:
        return raw
    opener = {"gzip": gzip.GzipFile, "bzip2": bz2.BZ2File, "xz": lzma.LZMAFile}[kind]
    inner = opener(fileobj=raw, mode="rb") if kind == "gzip" else opener(raw, mode="rb")
    return io.BufferedReader(_Budgeted(inner, raw, limits, display_path(path), kind), 1 << 16)


def read_capped(path: Source, cap: int, option: str, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """The whole (decompressed) file when it fits ``cap``; refused naming ``option`` if not."""
    name = display_path(path)
    pieces, size = [], 0
    with open_inflated(path, limits) as handle:
        while size <= cap and (piece := handle.read(min(_PIECE, cap + 1 - size))):
            pieces.append(piece)
            size += len(piece)
    data = b"".join(pieces)
    if len(data) > cap:
        raise InputError(f"{name}: larger than {size_text(cap)} (raise with {option})")
    if not data.strip():
        raise InputError(f"{name}: the file is empty")
    return data


def read_document(path: Source, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """One article file's bytes, under the record cap (decompressed when compressed)."""
    data = read_capped(path, limits.max_record_bytes, "--max-record-mb", limits)
    if looks_binary(data):
        raise InputError(f"{display_path(path)}: binary data, not text, HTML or JSON")
    return data


def read_text(path: Source, limits: Limits = DEFAULT_LIMITS, html: bool = False) -> str:
    """``read_document`` then ``decode``; an HTML page's declared charset is tried first."""
    data = read_document(path, limits)
    return decode(data, declared_charset(data) if html else None)


def head_bytes(path: Source, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """The first few kilobytes of the file, decompressed, for sniffing its format.

    Damage further on is the reader's to report (it keeps the records before it), so a
    decompression error here only ends the head early.
    """
    head = b""
    with open_inflated(path, limits) as handle:
        try:
            while len(head) < _SNIFF and (piece := handle.read1(_SNIFF - len(head))):
                head += piece
        except InputError:
            pass
    return head


def iter_lines(
    path: Source, limits: Limits = DEFAULT_LIMITS, span: tuple[int, int] | None = None
) -> Iterator[bytes | int]:
    """Each line of the file, or the byte length of a line over the record cap.

    An over-long line is read through in pieces and never held whole, so a 2 GB line costs
    time, not memory. A UTF-8 mark on the first line is dropped. ``span`` (start, end) reads
    only the lines that start in that byte range of an uncompressed file (see
    ``paths.line_spans``), so one big file can be read by several workers.
    """
    cap = limits.max_record_bytes
    name = display_path(path)
    with open_inflated(path, limits) as handle:
        start, end = span if span is not None else (0, None)
        if start:
            handle.seek(start)
        head = handle.peek(_SNIFF)[:_SNIFF] if hasattr(handle, "peek") else b""
        if start == 0 and not head.strip():
            raise InputError(f"{name}: the file is empty")
        if looks_binary(head):
            raise InputError(f"{name}: binary data, not text, HTML or JSON")
        first = start == 0
        at = start
        while (end is None or at < end) and (line := handle.readline(cap + 1)):
            at += len(line)
            if first and line.startswith(b"\xef\xbb\xbf"):
                line = line[3:]
            first = False
            if len(line) > cap and not line.endswith(b"\n"):
                size = len(line)
                while piece := handle.readline(1 << 20):
                    size += len(piece)
                    if piece.endswith(b"\n"):
                        break
                at += size - len(line)
                yield size
                continue
            yield line


def decode_line(raw: bytes) -> str:
    """A line of a JSON Lines file: UTF-8 as the format requires, else the usual guesses."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return decode(raw)
