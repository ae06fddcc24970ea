"""Records (JSON, JSON Lines, CSV rows) mapped onto Articles.

Archives name their fields every which way ("text", "body", "maintext", "content";
"published", "pubDate", "date_publish"). ``FieldMap`` lists the names tried for each field,
first match wins; a user can put their own column first (``storytrace ingest
--text-field``). A record without text is rejected with that reason, not dropped silently.
"""

from __future__ import annotations

import ast
import csv
import functools
import io
import itertools
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from storytrace.errors import InputError
from storytrace.ingest.dates import parse_date
from storytrace.ingest.limits import DEFAULT_LIMITS, Limits, size_text
from storytrace.ingest.load import decode_line
from storytrace.ingest.outlet import domain_from_path, domain_of
from storytrace.ingest.paragraphs import to_paragraphs
from storytrace.ingest.plaintext import build_article
from storytrace.model import Article, Rejected

_LOOKS_HTML = re.compile(r"<(?:p|div|br|span|a|h\d|ul|li|strong|em)\b[^>]*>", re.I)


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldMap:
    """Field names tried for each Article field, in order (compared case-insensitively)."""

    text: tuple[str, ...] = (
        "text",
        "body",
        "maintext",
        "content",
        "article",
        "article_text",
        "full_text",
        "fulltext",
        "content_encoded",
        "story",
        "html",
    )
    title: tuple[str, ...] = ("title", "headline", "name", "heading")
    published: tuple[str, ...] = (
        "published",
        "published_at",
        "publish_date",
        "date_publish",
        "pubdate",
        "date",
        "datepublished",
        "created_at",
        "timestamp",
        "publication_date",
        "time",
    )
    url: tuple[str, ...] = ("url", "link", "canonical_url", "article_url", "uri", "permalink")
    outlet: tuple[str, ...] = (
        "outlet",
        "source",
        "site",
        "site_name",
        "sitename",
        "publisher",
        "source_name",
        "media_name",
        "source_domain",
        "domain",
    )
    authors: tuple[str, ...] = ("authors", "author", "byline", "creator", "by")
    language: tuple[str, ...] = ("language", "lang", "meta_lang", "locale")
    record_id: tuple[str, ...] = ("id", "guid", "uuid", "article_id", "doc_id")

    def prefer(self, **fields: str | None) -> FieldMap:
        """A copy that tries the given name first for each field named."""
        changes = {k: (v, *getattr(self, k)) for k, v in fields.items() if v}
        return replace(self, **changes)


def _pick(record: Mapping[str, Any], names: tuple[str, ...]) -> Any:
    lowered = {str(k).lower(): v for k, v in record.items()}
    for name in names:
        value = lowered.get(name.lower())
        if value not in (None, "", [], {}):
            return value
    return None


def _scalar(value: Any) -> str | None:
    """A field that must be one string (a url, a language): the first string it holds."""
    if isinstance(value, list):
        value = next(
            (v for v in value if isinstance(v, str | int | float) and str(v).strip()), None
        )
    if value is None or isinstance(value, dict | bool):
        return None
    return str(value).strip() or None


def guarded(where: str, build: Callable[[], Article | Rejected]) -> Article | Rejected:
    """``build()``, with any failure turned into this record's rejection.

    One record must never stop a file: whatever a reader or a library under it raises for
    one record (a malformed URL, a recursion limit, a parser bug) becomes its reason.
    """
    try:
        return build()
    except InputError as exc:
        return Rejected(where, str(exc).removeprefix(f"{where}: "))
    except RecursionError:
        return Rejected(where, "record nested too deeply to read")
    except MemoryError:
        return Rejected(where, "record too large to read in memory")
    except Exception as exc:
        return Rejected(where, f"unreadable record ({type(exc).__name__}: {_short(exc)})")


def _short(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:160] or "no detail"


_BY = re.compile(r"^by\s+", re.I)


def _as_list(value: Any) -> list[str]:
    return [_BY.sub("", v) for v in _names(value)]


def _names(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("[") and len(text) < 2000:
            try:
                parsed = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                parsed = None
            if isinstance(parsed, list):
                return [str(v).strip() for v in parsed if str(v).strip()]
        return [p.strip() for p in re.split(r";|\band\b|,", text) if p.strip()]
    if isinstance(value, list):
        out = []
        for v in value:
            out.append(str(v.get("name", "")) if isinstance(v, dict) else str(v))
        return [v.strip() for v in out if v.strip()]
    if isinstance(value, dict):
        return [str(value.get("name", "")).strip()] if value.get("name") else []
    return [str(value)]


def _text_of(value: Any) -> str:
    if isinstance(value, list):
        value = "\n".join(str(v) for v in value)
    text = str(value)
    if _LOOKS_HTML.search(text):
        from storytrace.ingest.html import fragment_text

        text = fragment_text(text)
    return to_paragraphs(text)


def record_to_article(
    record: Mapping[str, Any], source: str, fields: FieldMap | None = None
) -> Article | Rejected:
    """One record as an Article, or Rejected with the reason."""
    fields = fields or FieldMap()
    if not isinstance(record, Mapping):
        return Rejected(source, f"not a JSON object but {type(record).__name__}")
    raw_text = _pick(record, fields.text)
    if raw_text is None:
        return Rejected(source, f"no text field (tried {', '.join(fields.text[:6])}, ...)")
    text = _text_of(raw_text)
    if not text:
        return Rejected(source, "the text field is empty")
    raw_date = _pick(record, fields.published)
    published = parse_date(str(raw_date)) if raw_date is not None else None
    meta: dict[str, str] = {}
    if raw_date is not None and published is None:
        meta["unparsed_date"] = str(raw_date)[:80]
    record_id = _scalar(_pick(record, fields.record_id))
    if record_id is not None:
        meta["record_id"] = record_id[:200]
    url = _scalar(_pick(record, fields.url))
    outlet = _pick(record, fields.outlet)
    outlet_names = _as_list(outlet) if outlet is not None else []
    domain = domain_of(url) or domain_from_path(source.split("#")[0])
    language = _scalar(_pick(record, fields.language))
    return build_article(
        text,
        title=to_paragraphs(_scalar(_pick(record, fields.title)) or "").replace("\n", " "),
        source=source,
        url=url,
        outlet=(outlet_names[0][:200] if outlet_names else None) or domain,
        published=published,
        language=language.split("-")[0].lower()[:12] if language else None,
        authors=_as_list(_pick(record, fields.authors)),
        domain=domain,
        meta=meta,
    )


def read_json(
    text: str, source: str, fields: FieldMap | None = None, limits: Limits = DEFAULT_LIMITS
) -> Iterator[Article | Rejected]:
    """A JSON document: one object, or a list of objects (or {"articles": [...]})."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        yield Rejected(source, f"invalid JSON ({_short(exc)})")
        return
    except RecursionError:
        yield Rejected(source, "JSON nested too deeply to read")
        return
    if isinstance(data, dict):
        inner = next(
            (
                data[k]
                for k in ("articles", "items", "data", "results", "records")
                if isinstance(data.get(k), list)
            ),
            None,
        )
        items: list[Any] = (
            inner
            if inner is not None and _pick(data, (fields or FieldMap()).text) is None
            else [data]
        )
    elif isinstance(data, list):
        items = data
    else:
        yield Rejected(source, f"JSON holds a {type(data).__name__}, not an article object")
        return
    for n, item in enumerate(items, 1):
        where = f"{source}#{n}" if len(items) > 1 else source
        yield guarded(where, lambda item=item, where=where: record_to_article(item, where, fields))


def read_jsonl(
    lines: Iterable[bytes | int],
    source: str,
    fields: FieldMap | None = None,
    workers: int = 1,
    limits: Limits = DEFAULT_LIMITS,
    first_line: int = 1,
) -> Iterator[Article | Rejected]:
    """JSON Lines: each line one record; a broken line is rejected and reading goes on.

    Records are numbered by their line in the file, from ``first_line`` (the line a piece
    of a split file starts at).

    ``lines`` are raw lines, or the length of a line over the record cap (see
    ``load.iter_lines``), which is rejected without ever being held. With ``workers`` > 1,
    lines are parsed in a process pool (JSON, cleaning, dates and the language guess cost
    far more than reading), still yielded in file order. An error that ends the file (a
    damaged gzip tail, a vanished file) is raised after every record before it has been
    yielded, as when reading in one process.
    """
    if workers <= 1:
        for n, line in enumerate(lines, first_line):
            if isinstance(line, int) or line.strip():
                yield _jsonl_record(n, line, source, fields, limits)
        return
    from storytrace.engine import run_stage

    ended: list[BaseException] = []

    def batches() -> Iterator[list[tuple[int, bytes | int]]]:
        batch: list[tuple[int, bytes | int]] = []
        try:
            for n, line in enumerate(lines, first_line):
                if isinstance(line, int) or line.strip():
                    batch.append((n, line))
                    if len(batch) >= JSONL_BATCH:
                        yield batch
                        batch = []
        except (InputError, OSError) as exc:
            ended.append(exc)
        if batch:
            yield batch

    stage = functools.partial(parse_jsonl_lines, source=source, fields=fields, limits=limits)
    for items in run_stage(stage, batches(), workers):
        yield from items
    if ended:
        raise ended[0]


JSONL_BATCH = 200  # lines per pool task: big enough to pay for the round trip


def parse_jsonl_lines(
    batch: Iterable[tuple[int, bytes | int]],
    source: str,
    fields: FieldMap | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> list[Article | Rejected]:
    """Stage: numbered JSON lines -> Articles or rejections. Pure."""
    return [_jsonl_record(n, line, source, fields, limits) for n, line in batch]


def _jsonl_record(
    n: int, line: bytes | int, source: str, fields: FieldMap | None, limits: Limits
) -> Article | Rejected:
    where = f"{source}#{n}"
    if isinstance(line, int):
        return Rejected(
            where,
            f"record of {size_text(line)} is over the {size_text(limits.max_record_bytes)} "
            "limit (raise with --max-record-mb)",
        )

    def build() -> Article | Rejected:
        try:
            record = json.loads(decode_line(line))
        except json.JSONDecodeError as exc:
            said = exc.msg.removesuffix(" at")  # "Invalid control character at"
            return Rejected(where, f"invalid JSON on line {n} ({said} at column {exc.colno})")
        except ValueError as exc:
            return Rejected(where, f"invalid JSON on line {n} ({_short(exc)})")
        return record_to_article(record, where, fields)

    return guarded(where, build)


def read_csv(
    text: str | Iterable[str],
    source: str,
    fields: FieldMap | None = None,
    delimiter: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Iterator[Article | Rejected]:
    """CSV/TSV with a header row, streamed; rows are records.

    A file without a text column is one rejection; a malformed or over-long row is that
    row's rejection and reading goes on with the next, until ``MAX_BAD_ROWS`` in a row say
    the file is not CSV at all.
    """
    csv.field_size_limit(limits.max_record_bytes)
    lines = iter(io.StringIO(text) if isinstance(text, str) else text)
    first = next(lines, "")
    if delimiter is None:
        try:
            delimiter = csv.Sniffer().sniff(first[:65536], delimiters=",\t;|").delimiter
        except csv.Error:
            delimiter = ","
    reader = csv.DictReader(itertools.chain([first], lines), delimiter=delimiter)
    try:
        columns = [str(c).lower() for c in (reader.fieldnames or [])]
    except csv.Error as exc:
        yield Rejected(source, f"malformed CSV header ({_short(exc)})")
        return
    fields = fields or FieldMap()
    if not any(name.lower() in columns for name in fields.text):
        yield Rejected(
            source,
            f"CSV has no text column (columns: {', '.join(columns[:12]) or 'none'}; "
            f"name one with --text-field)",
        )
        return
    bad_in_a_row = 0
    for n in itertools.count(1):  # record numbers count data rows from 1, as FILE#N does
        where = f"{source}#{n}"
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            bad_in_a_row += 1
            reason = _short(exc)
            if "field larger than field limit" in reason:
                reason = (
                    f"row over the {size_text(limits.max_record_bytes)} limit "
                    "(raise with --max-record-mb)"
                )
            yield Rejected(where, f"malformed CSV row ({reason})")
            if bad_in_a_row >= MAX_BAD_ROWS:
                yield Rejected(
                    source, f"{MAX_BAD_ROWS} malformed rows in a row; rest of file skipped"
                )
                return
            continue
        bad_in_a_row = 0
        yield guarded(where, lambda row=row, where=where: record_to_article(row, where, fields))


MAX_BAD_ROWS = 100


def read_parquet(
    path: Any, source: str, fields: FieldMap | None = None, limits: Limits = DEFAULT_LIMITS
) -> Iterator[Article | Rejected]:
    """A Parquet file of records (one row an article), read a few hundred rows at a time.

    Rows are mapped like JSON records. A row whose text is over the record cap is refused
    before it is parsed; a file that is not Parquet, or whose footer is damaged, is one
    rejection, keeping the rows read before the damage.
    """
    import pyarrow.parquet as pq

    from storytrace.ingest.load import open_file

    fields = fields or FieldMap()
    with open_file(path) as handle:
        try:
            parquet = pq.ParquetFile(handle)
        except Exception as exc:  # pyarrow raises ArrowInvalid, OSError and others
            yield Rejected(source, f"not a readable Parquet file ({_short(exc)})")
            return
        n = 0
        try:
            for batch in parquet.iter_batches(batch_size=256):
                for row in batch.to_pylist():
                    n += 1
                    where = f"{source}#{n}"
                    size = sum(len(v) for v in row.values() if isinstance(v, str | bytes))
                    if size > limits.max_record_bytes:
                        yield Rejected(
                            where,
                            f"record of {size_text(size)} is over the "
                            f"{size_text(limits.max_record_bytes)} limit (raise with --max-record-mb)",
                        )
                        continue
                    yield guarded(
                        where, lambda row=row, where=where: record_to_article(row, where, fields)
                    )
        except Exception as exc:  # a damaged row group ends the file, keeping what came before
            yield Rejected(
                f"{source}#{n + 1}", f"damaged Parquet data, rest of file skipped ({_short(exc)})"
            )
