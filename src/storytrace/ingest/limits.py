"""Budgets for reading untrusted files: how much one file or one record may cost.

A crawl holds whatever the web served: a 2 MB gzip that inflates to gigabytes, a JSON line
of 100 MB, a feed that is one endless element. Every reader takes its caps from one
``Limits`` value, so the CLI, the Python API and both engines refuse the same inputs with
the same reasons. Each cap names the option that raises it in its refusal.

    max_record_bytes      one record: a text or HTML file, a JSON line, a CSV row, a WARC
                          payload, a JSON array item            (--max-record-mb, 10 MB)
    max_whole_file_bytes  a file parsed in one piece: a JSON document, an RSS/Atom feed,
                          once decompressed                     (--max-file-mb, 256 MB)
    max_inflated_bytes    any compressed file once decompressed (--max-inflated-gb, 64 GB)
    max_inflation_ratio   decompressed / compressed bytes, checked once more than
                          ``ratio_floor_bytes`` came out: text compresses 3-15x, a bomb
                          1,000x                                (--max-inflation-ratio, 200)
"""

from __future__ import annotations

from dataclasses import dataclass

MB = 1 << 20
GB = 1 << 30


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """Caps every reader honours; the defaults fit news archives with room to spare."""

    max_record_bytes: int = 10 * MB
    max_whole_file_bytes: int = 256 * MB
    max_inflated_bytes: int = 64 * GB
    max_inflation_ratio: float = 200.0
    ratio_floor_bytes: int = 16 * MB

    def __post_init__(self) -> None:
        for name in ("max_record_bytes", "max_whole_file_bytes", "max_inflated_bytes"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be positive, not {getattr(self, name)}")
        if self.max_inflation_ratio < 1:
            raise ValueError(
                f"max_inflation_ratio must be at least 1, not {self.max_inflation_ratio}"
            )


DEFAULT_LIMITS = Limits()


def size_text(n: int) -> str:
    """Bytes in the unit a person reads: "10 MB", "2.3 GB"."""
    if n >= GB:
        return f"{n / GB:.1f} GB".replace(".0 ", " ")
    if n >= MB:
        return f"{n / MB:.1f} MB".replace(".0 ", " ")
    return f"{n:,} bytes"
