"""Articles in the store: what ingest writes and what every reader of articles asks for.

A mixin of ``Store`` (see ``store.base``).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime

import pyarrow as pa

from storytrace.errors import StoreError
from storytrace.model import Article
from storytrace.store.base import Connected
from storytrace.store.rows import ArticleMeta, Rejection

_BASE = object


def now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def article_of(row: sqlite3.Row) -> Article:
    return Article(
        text=row["text"],
        title=row["title"],
        url=row["url"],
        outlet=row["outlet"],
        published=row["published"],
        language=row["language"],
        authors=tuple(json.loads(row["authors"])),
        source=row["source"],
        stripped=tuple(json.loads(row["stripped"])),
        meta=tuple(json.loads(row["meta"]).items()),
    )


class ArticleStore(Connected):
    """Reading and writing articles, rejections and which input files are done."""

    def has_article(self, article_id: str) -> bool:
        return (
            self.conn.execute("SELECT 1 FROM articles WHERE id=?", (article_id,)).fetchone()
            is not None
        )

    def article_source(self, article_id: str) -> str | None:
        """Where the stored article with this id was read from; None when none is stored."""
        row = self.conn.execute("SELECT source FROM articles WHERE id=?", (article_id,)).fetchone()
        return None if row is None else (row[0] or "")

    def record_owner(self, record_id: str) -> str | None:
        row = self.conn.execute(
            "SELECT id FROM articles WHERE record_id=?", (record_id,)
        ).fetchone()
        return row[0] if row else None

    def add_article(self, article: Article) -> None:
        """Insert one article (inside the caller's transaction)."""
        meta = dict(article.meta)
        self.conn.execute(
            "INSERT INTO articles (id, record_id, source, url, outlet, title, published, language,"
            " authors, stripped, meta, text, words, ingested_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                article.id,
                meta.get("record_id"),
                article.source,
                article.url,
                article.outlet,
                article.title,
                article.published,
                article.language,
                json.dumps(list(article.authors)),
                json.dumps(list(article.stripped)),
                json.dumps(meta, ensure_ascii=False),
                article.text,
                len(article.text.split()),
                now(),
            ),
        )

    def outlet_name(self, domain: str, name: str | None) -> str:
        """The outlet to store for an article of ``domain`` that names ``name`` (or not).

        Pages of one site may or may not carry its name. An article that names its outlet
        keeps that name; one that does not (or gives only the bare domain) takes the first
        name seen for its domain, and the first name seen also replaces the bare domain on
        the articles stored before it. A record can never rename another outlet's
        articles: only bare-domain outlets are ever rewritten.
        """
        named = bool(name) and name != domain
        row = self.conn.execute(
            "SELECT name FROM outlet_names WHERE domain=?", (domain,)
        ).fetchone()
        if row is None and named:
            self.conn.execute("INSERT INTO outlet_names VALUES (?,?)", (domain, name))
            self.conn.execute("UPDATE articles SET outlet=? WHERE outlet=?", (name, domain))
        if named:
            return name  # type: ignore[return-value]
        return row[0] if row is not None else domain

    def add_rejection(self, source: str, reason: str, file: str | None = None) -> None:
        """Record a refused input; ``file`` is the key of the file it came from, if any."""
        self.conn.execute(
            "INSERT INTO rejections (source, reason, at, file) VALUES (?,?,?,?)",
            (source, reason, now(), file),
        )

    def file_rejections(self, file: str) -> list[tuple[str, str]]:
        """(source, reason) of every rejection recorded for the file with this key."""
        return [
            (r[0], r[1])
            for r in self.conn.execute(
                "SELECT source, reason FROM rejections WHERE file=? ORDER BY rowid", (file,)
            )
        ]

    def forget_file_rejections(self, file: str) -> None:
        """Drop a file's rejections before it is read again (the read records them anew)."""
        self.conn.execute("DELETE FROM rejections WHERE file=?", (file,))

    def file_done(self, path: str, size: int, mtime: float) -> bool:
        row = self.conn.execute("SELECT size, mtime FROM files WHERE path=?", (path,)).fetchone()
        return row is not None and row["size"] == size and row["mtime"] == mtime

    def mark_file(self, path: str, size: int, mtime: float, records: int) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO files VALUES (?,?,?,?,?)", (path, size, mtime, records, now())
        )

    def article(self, article_id: str) -> Article:
        found = self._by_prefix("articles", article_id)
        if len(found) != 1:
            raise StoreError(f"no article {article_id}")
        row = self.conn.execute("SELECT * FROM articles WHERE id=?", found).fetchone()
        return article_of(row)

    def article_words(self, article_id: str) -> int:
        """Words in one article (id or unique prefix) as counted at ingest, without reading
        its text, so a caller can refuse a huge article before loading it."""
        found = self._by_prefix("articles", article_id)
        if len(found) != 1:
            raise StoreError(f"no article {article_id}")
        return self.conn.execute("SELECT words FROM articles WHERE id=?", found).fetchone()[0]

    def iter_articles(
        self, batch: int = 500, ids: Iterable[str] | None = None, order: str = "published"
    ) -> Iterator[list[Article]]:
        """Articles in batches, by publication date (undated last), then id."""
        if ids is not None:
            wanted = list(ids)
            for i in range(0, len(wanted), batch):
                chunk = wanted[i : i + batch]
                rows = self.conn.execute(
                    f"SELECT * FROM articles WHERE id IN ({','.join('?' * len(chunk))})", chunk
                ).fetchall()
                by_id = {r["id"]: article_of(r) for r in rows}
                yield [by_id[x] for x in chunk if x in by_id]
            return
        queries = (
            # two queries rather than ORDER BY published IS NULL: each walks an index, so a
            # large store streams instead of being sorted whole in a temporary table
            (
                "SELECT * FROM articles WHERE published IS NOT NULL ORDER BY published, id",
                "SELECT * FROM articles WHERE published IS NULL ORDER BY id",
            )
            if order == "published"
            else ("SELECT * FROM articles ORDER BY id",)
        )
        for query in queries:
            cursor = self.conn.execute(query)
            while rows := cursor.fetchmany(batch):
                yield [article_of(r) for r in rows]

    def rejections(self) -> list[Rejection]:
        return [
            Rejection(r[0], r[1], r[2])
            for r in self.conn.execute("SELECT source, reason, at FROM rejections ORDER BY rowid")
        ]

    def article_ids(self) -> list[str]:
        """Every article id, by publication time (undated last), then id."""
        return [
            r[0]
            for r in self.conn.execute(
                "SELECT id FROM articles ORDER BY published IS NULL, published, id"
            )
        ]

    def meta_of(self, ids: Sequence[str]) -> dict[str, ArticleMeta]:
        sql = "SELECT id, outlet, published, title, words, url FROM articles WHERE id IN ({})"
        return {r[0]: ArticleMeta(*r) for r in self._rows_in(sql, ids)}

    def published_of(self, ids: Sequence[str]) -> dict[str, str | None]:
        """Publication time of each article: a lighter ``meta_of`` for many ids."""
        return dict(self._rows_in("SELECT id, published FROM articles WHERE id IN ({})", ids))

    def urls_of(self, ids: Sequence[str]) -> dict[str, str | None]:
        """The stored url of each article (None where the record had none)."""
        return dict(self._rows_in("SELECT id, url FROM articles WHERE id IN ({})", ids))

    def article_tables(
        self, schema: pa.Schema, ids: Sequence[str] | None = None, batch: int = 2000
    ) -> Iterator[pa.Table]:
        """Articles as Arrow tables of ``schema`` (the pipeline's), a batch at a time, by id."""
        columns = ", ".join(schema.names)
        decoded = {"authors", "stripped"} & set(schema.names)

        def table(rows: list[sqlite3.Row]) -> pa.Table:
            records = [dict(zip(schema.names, r, strict=True)) for r in rows]
            for record in records:
                for name in decoded:
                    record[name] = json.loads(record[name])
            return pa.Table.from_pylist(records, schema=schema)

        if ids is not None:
            wanted = sorted(ids)
            for i in range(0, len(wanted), batch):
                sql = f"SELECT {columns} FROM articles WHERE id IN ({{}}) ORDER BY id"
                yield table(list(self._rows_in(sql, wanted[i : i + batch])))
            return
        cursor = self.conn.execute(f"SELECT {columns} FROM articles ORDER BY id")
        while rows := cursor.fetchmany(batch):
            yield table(rows)

    def add_article_rows(self, rows: Iterable[dict[str, object]]) -> int:
        """Articles as a run's ``articles`` table holds them; ids already stored are kept.

        Returns how many were new. The caller holds the transaction.
        """
        stamp = now()
        before = self.conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        self.conn.executemany(
            "INSERT OR IGNORE INTO articles (id, record_id, source, url, outlet, title, published,"
            " language, authors, stripped, meta, text, words, ingested_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                (
                    r["id"],
                    r["record_id"],
                    r["source"],
                    r["url"],
                    r["outlet"],
                    r["title"] or "",
                    r["published"],
                    r["language"],
                    json.dumps(list(r["authors"] or [])),
                    json.dumps(list(r["stripped"] or [])),
                    r["meta"] or "{}",
                    r["text"],
                    r["words"],
                    stamp,
                )
                for r in rows
            ),
        )
        return self.conn.execute("SELECT count(*) FROM articles").fetchone()[0] - before

    def fingerprint(self) -> str:
        """Changes whenever articles or outlet names change: what an analysis depends on."""
        count, top = self.conn.execute("SELECT count(*), max(rowid) FROM articles").fetchone()
        names = self.conn.execute("SELECT count(*) FROM outlet_names").fetchone()[0]
        return hashlib.sha256(f"{count}/{top}/{names}".encode()).hexdigest()[:16]
