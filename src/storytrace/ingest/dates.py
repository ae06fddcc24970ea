"""Publication dates in the many shapes news pages print them, returned as ISO 8601."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

_NOISE = re.compile(r"\s+[-\u2013\u2014|@]\s+|\s+at\s+|,\s*|\s+\u00b7\s+", re.IGNORECASE)
_DOTTED_TIME = re.compile(r"\b(\d{1,2})\.(\d{2})\s*([ap])\.?m\.?\b", re.IGNORECASE)
_HAS_DIGIT = re.compile(r"\d")
_HAS_TIME = re.compile(r"\d{1,2}[:.]\d{2}|\d\s*[ap]\.?m\b", re.IGNORECASE)
_YEAR = re.compile(r"\b(1[89]\d\d|2\d\d\d)\b")
EARLIEST = date(1800, 1, 1)
FUTURE_SLACK = timedelta(days=2)


def parse_date(value: str, now: datetime | None = None) -> str | None:
    """ISO 8601 for a date string, or None when it is not a plausible publication date.

    Keeps the time and offset when the string has them ("2026-03-11T07:40:00+01:00"), else
    gives a plain date ("2026-03-11"). A date before 1800 or more than two days in the future
    is refused: it is a parsing accident or a typo, not a publication date.
    """
    text = value.strip()
    if not text or len(text) > 80 or not _HAS_DIGIT.search(text):
        return None
    parsed = _parse_iso(text) or _parse_loose(text)
    if parsed is None:
        return None
    now = now or datetime.now(UTC)
    day = parsed.date() if isinstance(parsed, datetime) else parsed
    if day < EARLIEST or day > (now + FUTURE_SLACK).date():
        return None
    return parsed.isoformat()


def iso_date(value: str, now: datetime | None = None) -> str | None:
    """``value`` if it is an ISO 8601 date or date and time (normalised), else None.

    For dates a person types (``--published``, a sidecar column): only the unambiguous ISO
    form is taken, so "07/04/2021" is refused rather than read as April or July, and the
    same plausibility bounds as ``parse_date`` apply.
    """
    text = value.strip()
    parsed = _parse_iso(text) if text[:4].isdigit() else None
    if parsed is None:
        return None
    now = now or datetime.now(UTC)
    day = parsed.date() if isinstance(parsed, datetime) else parsed
    if day < EARLIEST or day > (now + FUTURE_SLACK).date():
        return None
    return parsed.isoformat()


def _parse_iso(text: str) -> datetime | date | None:
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _parse_loose(text: str) -> datetime | date | None:
    from dateutil import parser

    if not _YEAR.search(text):
        return None
    cleaned = _DOTTED_TIME.sub(lambda m: f"{m.group(1)}:{m.group(2)}{m.group(3)}m", text)
    cleaned = _NOISE.sub(" ", cleaned).strip()
    try:
        parsed = parser.parse(cleaned, dayfirst=_day_first(cleaned), fuzzy=False)
    except (ValueError, OverflowError, parser.ParserError):
        return None
    return parsed if _HAS_TIME.search(text) else parsed.date()


def _day_first(text: str) -> bool:
    """ "07/04/2021" is ambiguous; news outside the US mostly writes the day first."""
    return not re.match(r"^\d{4}", text)
