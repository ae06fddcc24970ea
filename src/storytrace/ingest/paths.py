"""Which files a list of arguments names: files, folders searched recursively, globs.

Named pipes, devices and sockets are listed as refusals without being opened (reading a
FIFO waits forever); hidden files and folders inside a folder are skipped; symbolic links
to folders are not followed, so a link loop cannot make the walk endless.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable
from pathlib import Path

from storytrace.ingest.load import display_path, special_kind


def expand_paths(args: Iterable[str]) -> tuple[list[Path], list[tuple[str, str]]]:
    """Files named by arguments (files, folders searched recursively, globs), and bad ones.

    Named pipes, devices and sockets are listed as bad without being opened: reading a
    FIFO would wait forever. Hidden files and folders inside a folder are skipped, and
    symbolic links to folders are not followed (a link loop would never end).
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
            found = sorted(Path(p) for p in matches if Path(p).is_file())
            if not found:
                bad.append((display_path(arg), "pattern matches no files"))
            files.extend(found)
        else:
            bad.append((display_path(arg), "no such file or folder"))
    return list(dict.fromkeys(files)), bad


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
            if name.startswith("."):
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
