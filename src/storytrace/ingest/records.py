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
import json
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from storytrace.errors import InputError
from storytrace.ingest.dates import parse_date
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
    record_id = _pick(record, fields.record_id)
    if record_id is not None:
        meta["record_id"] = str(record_id)
    url = _pick(record, fields.url)
    url = str(url) if url is not None else None
    outlet = _pick(record, fields.outlet)
    outlet_name = _as_list(outlet)[0] if outlet is not None and _as_list(outlet) else None
    domain = domain_of(url) or domain_from_path(source.split("#")[0])
    language = _pick(record, fields.language)
    return build_article(
        text,
        title=to_paragraphs(str(_pick(record, fields.title) or "")).replace("\n", " "),
        source=source,
        url=url,
        outlet=outlet_name or domain,
        published=published,
        language=str(language).split("-")[0].lower() if language else None,
        authors=_as_list(_pick(record, fields.authors)),
        domain=domain,
        meta=meta,
    )


def read_json(
    text: str, source: str, fields: FieldMap | None = None
) -> Iterator[Article | Rejected]:
    """A JSON document: one object, or a list of objects (or {"articles": [...]})."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        yield Rejected(source, f"invalid JSON ({exc})")
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
        yield record_to_article(item, f"{source}#{n}" if len(items) > 1 else source, fields)


def read_jsonl(
    lines: Iterable[str], source: str, fields: FieldMap | None = None, workers: int = 1
) -> Iterator[Article | Rejected]:
    """JSON Lines: each line one record; a broken line is rejected and reading goes on.

    With ``workers`` > 1, lines are parsed in a process pool (JSON, cleaning, dates and the
    language guess cost far more than reading), still yielded in file order. An error that
    ends the file (a damaged gzip tail, a vanished file) is raised after every record
    before it has been yielded, as when reading in one process.
    """
    if workers <= 1:
        for n, line in enumerate(lines, 1):
            if line.strip():
                yield _jsonl_record(n, line, source, fields)
        return
    from storytrace.engine import run_stage

    ended: list[BaseException] = []

    def batches() -> Iterator[list[tuple[int, str]]]:
        batch: list[tuple[int, str]] = []
        try:
            for n, line in enumerate(lines, 1):
                if line.strip():
                    batch.append((n, line))
                    if len(batch) >= JSONL_BATCH:
                        yield batch
                        batch = []
        except (InputError, OSError) as exc:
            ended.append(exc)
        if batch:
            yield batch

    stage = functools.partial(parse_jsonl_lines, source=source, fields=fields)
    for items in run_stage(stage, batches(), workers):
        yield from items
    if ended:
        raise ended[0]


JSONL_BATCH = 200  # lines per pool task: big enough to pay for the round trip


def parse_jsonl_lines(
    batch: Iterable[tuple[int, str]], source: str, fields: FieldMap | None = None
) -> list[Article | Rejected]:
    """Stage: numbered JSON lines -> Articles or rejections. Pure."""
    return [_jsonl_record(n, line, source, fields) for n, line in batch]


def _jsonl_record(n: int, line: str, source: str, fields: FieldMap | None) -> Article | Rejected:
    where = f"{source}#{n}"
    try:
        record = json.loads(line)
    except ValueError as exc:
        return Rejected(where, f"invalid JSON on line {n} ({exc.args[0].split(':')[0]})")
    return record_to_article(record, where, fields)


def read_csv(
    text: str | io.TextIOBase,
    source: str,
    fields: FieldMap | None = None,
    delimiter: str | None = None,
) -> Iterator[Article | Rejected]:
    """CSV/TSV with a header row; rows are records. A file without a text column is one rejection."""
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    handle = io.StringIO(text) if isinstance(text, str) else text
    sample = handle.read(65536)
    handle.seek(0)
    if delimiter is None:
        try:
            delimiter = csv.Sniffer().sniff(sample.split("\n", 1)[0], delimiters=",\t;|").delimiter
        except csv.Error:
            delimiter = ","
    reader = csv.DictReader(handle, delimiter=delimiter)
    columns = [c.lower() for c in (reader.fieldnames or [])]
    fields = fields or FieldMap()
    if not any(name.lower() in columns for name in fields.text):
        yield Rejected(
            source,
            f"CSV has no text column (columns: {', '.join(columns[:12]) or 'none'}; "
            f"name one with --text-field)",
        )
        return
    try:
        for n, row in enumerate(reader, 2):
            yield record_to_article(row, f"{source}#{n}", fields)
    except csv.Error as exc:
        yield Rejected(f"{source}#{reader.line_num}", f"malformed CSV ({exc})")
