"""The store's tables as ``storytrace export`` writes them: flat rows, one dict each.

A mixin of ``Store``. Each table is one query whose columns are the export's
(``report.export.TABLES`` holds their types, docs/schema.md their meaning), streamed with
a cursor so a large store is never held in memory. List columns come out as lists (the
store keeps them as JSON text), flags as booleans. Where a table is also a table of
``storytrace run``, it has that table's columns in its order, then the extra ones a
reader of one file wants beside them: the outlet, title and date of each article named.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from storytrace.errors import StoreError
from storytrace.store.base import Connected

_ARTICLE_OF = "JOIN articles a ON a.id = {}.article_id"

# table -> (query, list columns, boolean columns)
_QUERIES: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "articles": (
        "SELECT id, record_id, source, url, outlet, title, published, language, authors,"
        " stripped, meta, text, words FROM articles ORDER BY published IS NULL, published, id",
        ("authors", "stripped"),
        (),
    ),
    "rejections": ("SELECT source, reason, file, at FROM rejections ORDER BY rowid", (), ()),
    "passages": (
        "SELECT p.a_id, p.b_id, p.kind, p.a_start, p.a_end, p.b_start, p.b_end, p.score,"
        " a.outlet AS a_outlet, a.title AS a_title, a.published AS a_published,"
        " b.outlet AS b_outlet, b.title AS b_title, b.published AS b_published,"
        " substr(a.text, p.a_start + 1, p.a_end - p.a_start) AS a_text,"
        " substr(b.text, p.b_start + 1, p.b_end - p.b_start) AS b_text"
        " FROM passages p JOIN articles a ON a.id = p.a_id JOIN articles b ON b.id = p.b_id"
        " ORDER BY p.a_id, p.b_id, p.a_start, p.b_start, p.kind",
        (),
        (),
    ),
    "quotes": (
        "SELECT q.article_id, q.start, q.end, q.text, q.speaker, q.speaker_resolved, q.cue,"
        f" q.direct, q.via, a.outlet, a.published FROM quotes q {_ARTICLE_OF.format('q')}"
        " ORDER BY q.article_id, q.start, q.end",
        (),
        ("direct",),
    ),
    "entities": (
        "SELECT e.article_id, e.name, e.label, e.mentions, e.descriptors, a.outlet, a.published"
        f" FROM entities e {_ARTICLE_OF.format('e')} ORDER BY e.article_id, e.label, e.name",
        ("descriptors",),
        (),
    ),
    "stories": (
        "SELECT id, headline, keywords, first, last, size, outlets, members FROM stories"
        " ORDER BY id",
        ("keywords", "outlets", "members"),
        (),
    ),
    # positions are the order of the story's stored members: by publication time
    "story_members": (
        "SELECT s.id AS story_id, m.value AS article_id, m.key AS position, sa.score"
        " FROM stories s, json_each(s.members) m"
        " LEFT JOIN story_articles sa ON sa.article_id = m.value ORDER BY s.id, m.key",
        (),
        (),
    ),
}
EXPORTABLE = (*_QUERIES, "labels")


class ExportStore(Connected):
    """Every exportable table, a row at a time."""

    def table_rows(self, table: str) -> Iterator[dict[str, Any]]:
        """Rows of an exportable table (one of ``EXPORTABLE``), as dicts in column order."""
        if table == "labels":
            yield from self._label_rows()
            return
        if table not in _QUERIES:
            raise StoreError(f"cannot export {table!r} (one of {', '.join(EXPORTABLE)})")
        sql, lists, flags = _QUERIES[table]
        cursor = self.conn.execute(sql)
        names = [d[0] for d in cursor.description]
        while rows := cursor.fetchmany(1000):
            for values in rows:
                row = dict(zip(names, values, strict=True))
                for name in lists:
                    row[name] = json.loads(row[name]) if row[name] else []
                for name in flags:
                    row[name] = bool(row[name])
                yield row

    def _label_rows(self) -> Iterator[dict[str, Any]]:
        """What each outlet calls each entity: one row per (name, kind, outlet), with the
        descriptors of that outlet's articles in order of publication, each once.

        Names are as each article gives them in full; the story pages merge variants of a
        name ("Brask", "Helena Brask") with the language pipeline, which an export leaves to
        its reader. Entities no article describes have no labels and no row.
        """
        cursor = self.conn.execute(
            "SELECT e.name, e.label, a.outlet, e.descriptors, e.article_id"
            f" FROM entities e {_ARTICLE_OF.format('e')} WHERE e.descriptors != '[]'"
            " ORDER BY e.name, e.label, a.outlet IS NULL, a.outlet,"
            " a.published IS NULL, a.published, a.id"
        )
        current: dict[str, Any] | None = None
        articles: set[str] = set()
        for name, label, outlet, descriptors, article_id in cursor:
            if current is None or (current["entity"], current["label"], current["outlet"]) != (
                name,
                label,
                outlet,
            ):
                if current is not None:
                    yield {**current, "articles": len(articles)}
                current = {"entity": name, "label": label, "outlet": outlet, "descriptors": []}
                articles = set()
            articles.add(article_id)
            for d in json.loads(descriptors):
                if d not in current["descriptors"]:
                    current["descriptors"].append(d)
        if current is not None:
            yield {**current, "articles": len(articles)}
