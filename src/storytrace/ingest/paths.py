"""Which files a list of arguments names: files, folders searched recursively, globs.

Named pipes, devices and sockets are listed as refusals without being opened (reading a
FIFO waits forever); hidden files and folders inside a folder are skipped; symbolic links
to folders are not followed, so a link loop cannot make the walk endless. A metadata
sidecar (``storytrace.csv``) describes the files beside it and is not itself an input.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable
from pathlib import Path

from storytrace.ingest.load import display_path, special_kind
from storytrace.ingest.metadata import SIDECAR


def expand_paths(args: Iterable[str]) -> tuple[list[Path], list[tuple[str, str]]]:
    """Files named by arguments (files, folders searched recursively, globs), and bad ones.

    Named pipes, devices and sockets are listed as bad without being opened: reading a
    FIFO would wait forever. Hidden files and folders inside a folder are skipped, and
    symbolic links to folders are not followed (a link loop would never end). A sidecar
    found in a folder or by a pattern is skipped, and one named on its own is refused.
    """
    files: list[Path] = []
    bad: list[tuple[str, str]] = []
    for arg in args:
        path = Path(arg)
        kind = _special(path)
        if kind is not None:
            bad.append(
                (display_path(arg), f"{kind}, not a regular file; refused without reading it")
            )
        elif path.is_file() and path.name == SIDECAR:
            bad.append((display_path(arg), _SIDECAR_REASON))
        elif path.is_file():
            files.append(path)
        elif path.is_dir():
            found, odd = _walk(path)
            bad.extend(odd)
            if not found and not odd:
                bad.append((display_path(arg), "folder holds no files"))
            files.extend(found)
        elif any(ch in arg for ch in "*?["):
            matches = glob.glob(arg, recursive=True)  # noqa: PTH207 - absolute patterns too
            found = sorted(
                Path(p) for p in matches if Path(p).is_file() and Path(p).name != SIDECAR
            )
            if not found:
                bad.append((display_path(arg), "pattern matches no files"))
            files.extend(found)
        else:
            bad.append((display_path(arg), "no such file or folder"))
    return list(dict.fromkeys(files)), bad


_SIDECAR_REASON = (
    f"{SIDECAR} holds metadata for the files beside it, not articles; name their folder"
)


def _special(path: Path) -> str | None:
    try:
        return special_kind(path.stat().st_mode)
    except OSError:
        return None


def _walk(folder: Path) -> tuple[list[Path], list[tuple[str, str]]]:
    """Regular files under ``folder`` in name order, and its special files as refusals."""
    found: list[Path] = []
    odd: list[tuple[str, str]] = []
    for root, dirs, names in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if name.startswith(".") or name == SIDECAR:
                continue
            path = Path(root) / name
            kind = _special(path)
            if kind is not None:
                odd.append(
                    (display_path(path), f"{kind}, not a regular file; refused without reading it")
                )
            elif path.is_file():
                found.append(path)
    return sorted(found), odd


SPLIT_BYTES = 64 << 20  # uncompressed JSON Lines files above this are read in pieces
_SPLIT_NAMES = (".jsonl", ".ndjson")


def line_spans(path: Path, size: int, piece: int | None = None) -> list[tuple[int, int, int]]:
    """(start, end, lines before start) of pieces of a big uncompressed JSON Lines file.

    Each piece starts at the start of a line, so workers can read the pieces of one file
    side by side and still number every record by its line in the whole file. A file
    that is small, compressed, or not JSON Lines by name is one piece, (0, size, 0). Finding
    the line starts reads the file once (at disk speed: no parsing).
    """
    piece = piece or SPLIT_BYTES
    name = path.name.lower()
    if size <= piece or not name.endswith(_SPLIT_NAMES):
        return [(0, size, 0)]
    spans: list[tuple[int, int, int]] = []
    start, lines_before, seen_lines, at = 0, 0, 0, 0
    target = piece
    with path.open("rb") as handle:
        while block := handle.read(8 << 20):
            if at + len(block) <= target:
                seen_lines += block.count(b"\n")
                at += len(block)
                continue
            offset = 0
            while at + len(block) > target:
                cut = block.find(b"\n", max(target - at, offset))
                if cut < 0:
                    break
                seen_lines += block.count(b"\n", offset, cut + 1)
                boundary = at + cut + 1
                spans.append((start, boundary, lines_before))
                start, lines_before = boundary, seen_lines
                offset = cut + 1
                target = boundary + piece
            seen_lines += block.count(b"\n", offset)
            at += len(block)
    if start < size:
        spans.append((start, size, lines_before))
    return spans


def file_rows(files: Iterable[Path]) -> list[dict[str, object]]:
    """Rows of ``engine.FILE_SCHEMA`` for local files, big JSON Lines files in pieces."""
    rows: list[dict[str, object]] = []
    for path in files:
        size = path.stat().st_size
        spans = line_spans(path, size)
        for start, end, lines in spans:
            whole = len(spans) == 1
            rows.append(
                {
                    "path": str(path.resolve()),
                    "size": end - start,
                    "content": None,
                    "start": None if whole else start,
                    "end": None if whole else end,
                    "first_line": None if whole else lines,
                }
            )
    return rows
