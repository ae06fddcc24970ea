"""What is known about articles that their files do not say: an outlet, a date, a title, a url.

A plain text file names no outlet and often no date, so without help every report calls it
"unknown outlet" and "undated". Two ways to say what the files do not:

    --outlet, --published, --title, --url    on the command line, for every record read
    storytrace.csv                          in a folder, a row per file of that folder

Field by field, the first that says something wins:

    1. the record itself: JSON/CSV/Parquet fields, HTML meta tags, a feed item, a headline
       or date line in a text;
    2. the sidecar row of its file;
    3. the command line;
    4. a guess: an outlet named after a domain-named folder or the url's domain.

So the sidecar and the command line fill gaps, never overwrite what a source states, and an
outlet that is only a guessed domain gives way to a name someone wrote down. ``read_path``
applies this to every record, so ``extract``, ``compare``, ``ingest`` and ``run`` agree.
"""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass, fields, replace
from pathlib import Path

from storytrace.errors import InputError
from storytrace.ingest.dates import iso_date
from storytrace.ingest.outlet import domain_from_path, domain_of
from storytrace.model import Article

SIDECAR = "storytrace.csv"
COLUMNS = ("file", "outlet", "published", "title", "url")
MAX_SIDECAR_BYTES = 16 << 20  # a sidecar lists files; one bigger than this is not one


@dataclass(frozen=True, slots=True)
class Metadata:
    """Fields to give the records that lack them; None leaves a field as the record has it."""

    outlet: str | None = None
    published: str | None = None
    title: str | None = None
    url: str | None = None

    @classmethod
    def given(
        cls,
        outlet: str | None = None,
        published: str | None = None,
        title: str | None = None,
        url: str | None = None,
        *,
        where: str = "--published",
    ) -> Metadata:
        """Metadata as a person typed it: blanks dropped, the date checked and normalised.

        ``where`` names the date's origin in the error ("--a-published", "storytrace.csv
        row 4"), so the message says what to fix.
        """
        date = None
        if published and published.strip():
            date = iso_date(published)
            if date is None:
                raise InputError(
                    f"{where} {published.strip()!r}: not an ISO 8601 date between 1800 and "
                    "today (2021-04-07, or 2021-04-07T22:02:00+03:00)"
                )
        return cls(_clean(outlet), date, _clean(title), _clean(url))

    def __bool__(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))

    def or_else(self, other: Metadata) -> Metadata:
        """This one's fields where it has them, ``other``'s elsewhere."""
        return Metadata(
            *(getattr(self, f.name) or getattr(other, f.name) for f in fields(Metadata))
        )

    def fill(self, article: Article) -> Article:
        """``article`` with the fields it lacks taken from here; what it states stays."""
        changes: dict[str, str] = {}
        if self.outlet and _outlet_is_a_guess(article):
            changes["outlet"] = self.outlet
        if self.published and not article.published:
            changes["published"] = self.published
        if self.title and not article.title:
            changes["title"] = self.title
        if self.url and not article.url:
            changes["url"] = self.url
        return replace(article, **changes) if changes else article


NONE = Metadata()


def _clean(value: str | None) -> str | None:
    text = " ".join((value or "").split())
    return text or None


def _outlet_is_a_guess(article: Article) -> bool:
    """No outlet, or only a domain the reader guessed from the url or the folder's name."""
    if not article.outlet:
        return True
    guesses = {
        domain_of(article.url),
        domain_from_path(article.source),
        dict(article.meta).get("domain"),
    }
    return article.outlet in guesses


def sidecar_for(path: Path) -> Metadata:
    """The sidecar row for one file: ``storytrace.csv`` in the file's own folder, if any.

    The sidecar is read once per version of it (its size and time of change), however
    many files of the folder are read; a malformed one is an InputError naming its row,
    so every file it describes is refused with the reason rather than read without it.
    """
    sidecar = path.parent / SIDECAR
    try:
        stat = sidecar.stat()
    except OSError:
        return NONE
    if not sidecar.is_file():
        return NONE
    rows = _read_sidecar(str(sidecar), stat.st_size, stat.st_mtime_ns)
    return rows.get(path.name, NONE)


@functools.lru_cache(maxsize=32)
def _read_sidecar(path: str, size: int, mtime_ns: int) -> dict[str, Metadata]:
    if size > MAX_SIDECAR_BYTES:
        raise InputError(f"{path}: {size:,} bytes is too big for a metadata sidecar")
    with Path(path).open("rb") as handle:
        data = handle.read(MAX_SIDECAR_BYTES + 1)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 ({exc.reason} at byte {exc.start})") from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    unknown = sorted(set(header) - set(COLUMNS))
    if "file" not in header or unknown:
        what = "no file column" if "file" not in header else f"unknown column {', '.join(unknown)}"
        raise InputError(f"{path}: {what} (the columns are {', '.join(COLUMNS)})")
    reader.fieldnames = header
    rows: dict[str, Metadata] = {}
    for number, row in enumerate(reader, 2):  # row 1 is the header
        name = (row.get("file") or "").strip()
        if not name:
            continue
        if name in rows:
            raise InputError(f"{path} row {number}: {name} is listed twice")
        rows[name] = Metadata.given(
            row.get("outlet"),
            row.get("published"),
            row.get("title"),
            row.get("url"),
            where=f"{path} row {number}: published",
        )
    return rows
