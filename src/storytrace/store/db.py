"""The embedded store: one SQLite file in WAL mode. The only module that writes SQL.

Every write that belongs together happens in one transaction (``with store.transaction()``),
so a crash or a kill leaves either all of a batch or none of it. Reads stream with
iterators so a large store never has to fit in memory.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from storytrace.errors import StoreError
from storytrace.model import Article, Entity, Passage, Quote, Story
from storytrace.store.schema import MIGRATIONS, VERSION

DEFAULT_PATH = Path("storytrace.db")
# Data a migration adds that SQL alone cannot derive: migration number -> Store method run
# inside that migration's transaction.
_FILL_AFTER = {6: "_fill_story_members"}
_TOKEN = re.compile(r"[^\W_]+")  # what FTS5's unicode61 tokenizer keeps: letters and digits


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _story(row: sqlite3.Row) -> Story:
    return Story(
        row["id"],
        row["headline"],
        tuple(json.loads(row["members"] or "[]")),
        tuple(json.loads(row["keywords"])),
        row["first"],
        row["last"],
        tuple(json.loads(row["outlets"] or "[]")),
    )


def _article(row: sqlite3.Row) -> Article:
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


def _statements(script: str) -> Iterator[str]:
    """The statements of a migration, one at a time.

    Not ``executescript``, which commits first and so would break the one-transaction-per-
    migration rule; not a plain split on ";", which would cut a trigger body in pieces.
    """
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.replace(";", " ").strip():
                yield pending
            pending = ""
    if pending.replace(";", " ").strip():
        raise StoreError(f"incomplete statement in migration: {pending.strip()[:60]}")


def _fts_phrases(words: str, limit: int = 8) -> list[str]:
    """User words as FTS5 queries that cannot be a syntax error: each word one quoted string.

    Inside double quotes FTS5 reads nothing as an operator (AND, NEAR, ``*``, ``:``, column
    names), so quoting (with ``"`` doubled) is the whole of the escaping. A word with no
    letter or digit would be an empty phrase and is dropped, so punctuation alone means no
    text filter. Words of four characters or more match as a prefix ("flood" finds
    "flooding"); shorter ones only whole, since a short prefix stands for thousands of terms
    whose lists FTS5 must merge (seconds at 100k articles).
    """
    phrases = []
    for word in words.split():
        tokens = _TOKEN.findall(word)
        if not tokens:
            continue
        quoted = '"' + word.replace('"', '""') + '"'
        phrases.append(quoted + "*" if len(tokens[-1]) >= 4 else quoted)
    return phrases[:limit]


# table -> (index, its columns, the table counting the articles already loaded): the index
# is built again after bulk loads, see ``Store.lookup_index``
_LOOKUP_INDEXES = {
    "bands": ("bands_key", "band, key, article_id", "signatures"),
    "anchors": ("anchors_hash", "hash, article_id", "anchored"),
}


class Store:
    """A storytrace database. ``Store.open(path)`` creates or upgrades it."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path

    # -- opening -----------------------------------------------------------------------
    @classmethod
    def open_read_only(cls, path: str | Path = DEFAULT_PATH) -> Store:
        """For serving: SQLite refuses every write, whatever the caller asks."""
        path = Path(path)
        if not path.is_file():
            raise StoreError(f"{path}: no such database (run `storytrace ingest` first)")
        try:
            conn = sqlite3.connect(
                f"{path.resolve().as_uri()}?mode=ro",
                uri=True,
                timeout=30,
                isolation_level=None,
                check_same_thread=False,
            )
            conn.row_factory = sqlite3.Row
            version = conn.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path}: not a storytrace database ({exc})") from exc
        if version != VERSION:
            conn.close()
            raise StoreError(
                f"{path}: schema {version}, this storytrace reads {VERSION}; "
                "run any write command (e.g. `storytrace dedup`) to upgrade it"
            )
        return cls(conn, path)

    @classmethod
    def open(cls, path: str | Path = DEFAULT_PATH, create: bool = True) -> Store:
        path = Path(path)
        if path.is_dir():
            raise StoreError(f"{path}: is a directory, not a database file")
        if not create and not path.exists():
            raise StoreError(f"{path}: no such database (run `storytrace ingest` first)")
        if create and not path.parent.exists():
            raise StoreError(f"{path.parent}: no such folder for the database")
        try:
            conn = sqlite3.connect(path, timeout=30, isolation_level=None)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            # 2 MB (the default) holds too little of the band, anchor and text indexes: past
            # a few thousand articles each insert became a page miss. A fixed 128 MB keeps
            # memory bounded and the corpus jobs near linear.
            conn.execute("PRAGMA cache_size=-131072")
            conn.execute("PRAGMA foreign_keys=ON")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path}: not a storytrace database ({exc})") from exc
        if version > VERSION:
            conn.close()
            raise StoreError(
                f"{path}: written by a newer storytrace (schema {version}, this one reads {VERSION})"
            )
        store = cls(conn, path)
        store._migrate(version)
        return store

    def _migrate(self, version: int) -> None:
        for number in range(version, VERSION):
            try:
                with self.transaction():
                    for statement in _statements(MIGRATIONS[number]):
                        self.conn.execute(statement)
                    if number + 1 in _FILL_AFTER:
                        getattr(self, _FILL_AFTER[number + 1])()
                    self.conn.execute(f"PRAGMA user_version={number + 1}")
            except sqlite3.DatabaseError as exc:
                raise StoreError(
                    f"{self.path}: cannot upgrade to schema {number + 1} ({exc})"
                ) from exc

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All writes inside commit together or not at all.

        The database's own failures (disk full, a corrupt file, a lock held too long) are
        the errors that stop a job: they come out as one StoreError naming the file.
        """
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot write ({exc})") from exc
        try:
            yield self.conn
        except sqlite3.Error as exc:
            self._rollback()
            raise StoreError(
                f"{self.path}: write failed, nothing of this batch kept ({exc})"
            ) from exc
        except BaseException:
            self._rollback()
            raise
        try:
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            raise StoreError(
                f"{self.path}: commit failed, nothing of this batch kept ({exc})"
            ) from exc

    def _rollback(self) -> None:
        # SQLite may have rolled back already (a full disk ends the transaction itself)
        with suppress(sqlite3.Error):
            self.conn.execute("ROLLBACK")

    @property
    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def _rows_in(self, sql: str, ids: Sequence[str]) -> Iterator[sqlite3.Row]:
        """Rows of ``sql`` with its ``IN ({})`` given ``ids``, at most 900 ids per query
        (SQLite caps the parameters of one statement)."""
        for i in range(0, len(ids), 900):
            chunk = list(ids[i : i + 900])
            yield from self.conn.execute(sql.format(",".join("?" * len(chunk))), chunk)

    # -- ingest ------------------------------------------------------------------------
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
                _now(),
            ),
        )

    def outlet_name(self, domain: str, name: str | None) -> str:
        """The outlet to store for an article of ``domain``: one name per domain.

        Pages of one site may or may not carry its name; the first name seen for a domain
        replaces the bare domain everywhere, and later nameless articles take it.
        """
        row = self.conn.execute(
            "SELECT name FROM outlet_names WHERE domain=?", (domain,)
        ).fetchone()
        if row is not None:
            return row[0]
        if name and name != domain:
            self.conn.execute("INSERT INTO outlet_names VALUES (?,?)", (domain, name))
            self.conn.execute("UPDATE articles SET outlet=? WHERE outlet=?", (name, domain))
            return name
        return domain

    def add_rejection(self, source: str, reason: str, file: str | None = None) -> None:
        """Record a refused input; ``file`` is the key of the file it came from, if any."""
        self.conn.execute(
            "INSERT INTO rejections (source, reason, at, file) VALUES (?,?,?,?)",
            (source, reason, _now(), file),
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
            "INSERT OR REPLACE INTO files VALUES (?,?,?,?,?)", (path, size, mtime, records, _now())
        )

    # -- reading articles --------------------------------------------------------------
    def count(self, table: str = "articles") -> int:
        if table not in {
            "articles",
            "rejections",
            "files",
            "passages",
            "stories",
            "quotes",
            "dup_groups",
            "signatures",
            "anchored",
        }:
            raise StoreError(f"no table {table}")
        return self.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]

    def article(self, article_id: str) -> Article:
        found = self._by_prefix("articles", article_id)
        if len(found) != 1:
            raise StoreError(f"no article {article_id}")
        row = self.conn.execute("SELECT * FROM articles WHERE id=?", found).fetchone()
        return _article(row)

    def article_words(self, article_id: str) -> int:
        """Words in one article (id or unique prefix) as counted at ingest, without reading
        its text, so a caller can refuse a huge article before loading it."""
        found = self._by_prefix("articles", article_id)
        if len(found) != 1:
            raise StoreError(f"no article {article_id}")
        return self.conn.execute("SELECT words FROM articles WHERE id=?", found).fetchone()[0]

    def _by_prefix(self, table: str, key: str) -> list[str]:
        """Ids of ``table`` equal to ``key`` or else starting with it (at most two).

        A range scan on the primary key: ``LIKE 'x%'`` would read the whole table, since
        SQLite's LIKE is case-insensitive and the key's index is not.
        """
        assert table in ("stories", "articles")
        exact = self.conn.execute(f"SELECT id FROM {table} WHERE id = ?", (key,)).fetchone()
        if exact is not None or not key:
            return [exact[0]] if exact else []
        rows = self.conn.execute(
            f"SELECT id FROM {table} WHERE id > ? ORDER BY id LIMIT 2", (key,)
        ).fetchall()
        return [r[0] for r in rows if r[0].startswith(key)]

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
                by_id = {r["id"]: _article(r) for r in rows}
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
                yield [_article(r) for r in rows]

    def article_rows(self, columns: str = "id, outlet, published, title") -> Iterator[sqlite3.Row]:
        yield from self.conn.execute(
            f"SELECT {columns} FROM articles ORDER BY published IS NULL, published, id"
        )

    def rejections(self) -> list[sqlite3.Row]:
        return self.conn.execute(
            "SELECT source, reason, at FROM rejections ORDER BY rowid"
        ).fetchall()

    # -- near-duplicates ---------------------------------------------------------------
    def setting(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM settings WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_banding(self, value: str) -> None:
        """Record the LSH banding; a different one than stored drops all signatures and bands."""
        if self.setting("banding") != value:
            self.conn.execute("DELETE FROM signatures")
            self.conn.execute("DELETE FROM bands")
            self.conn.execute("INSERT OR REPLACE INTO settings VALUES ('banding', ?)", (value,))

    def unsigned_ids(self) -> list[str]:
        return [
            r[0]
            for r in self.conn.execute(
                "SELECT id FROM articles WHERE id NOT IN (SELECT article_id FROM signatures)"
                " ORDER BY published IS NULL, published, id"
            )
        ]

    @contextmanager
    def lookup_index(self, table: str, new: int) -> Iterator[None]:
        """Keep ``table``'s lookup index current around a load of ``new`` articles' rows.

        For a bulk load (at least as many new articles as already loaded) the index is
        dropped first and built again afterwards by one sort: millions of random B-tree inserts cost several
        times more once the index outgrows the page cache. An interrupted load leaves the
        index missing, and the next load builds it again.
        """
        name, columns, loaded = _LOOKUP_INDEXES[table]
        if new and new >= self.count(loaded):
            self.conn.execute(f"DROP INDEX IF EXISTS {name}")
        try:
            yield
        finally:
            self.conn.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table}({columns})")

    def add_signatures(self, items: Sequence[tuple[str, bytes, Sequence[int]]]) -> None:
        """(article id, MinHash bytes, band keys) for a batch, inside the caller's transaction."""
        self.conn.executemany(
            "INSERT OR REPLACE INTO signatures VALUES (?,?)", [(i, sig) for i, sig, _ in items]
        )
        self.conn.executemany(
            "INSERT INTO bands VALUES (?,?,?)",
            [(band, key, i) for i, _, keys in items for band, key in enumerate(keys)],
        )

    def band_collisions(self) -> Iterator[tuple[str, ...]]:
        """Groups of article ids that share a band key (LSH candidates)."""
        cursor = self.conn.execute(
            "SELECT group_concat(article_id, ' ') FROM bands GROUP BY band, key HAVING count(*) > 1"
        )
        for (ids,) in cursor:
            yield tuple(ids.split(" "))

    def signatures(self, ids: Sequence[str]) -> dict[str, bytes]:
        return dict(
            self._rows_in(
                "SELECT article_id, minhash FROM signatures WHERE article_id IN ({})", ids
            )
        )

    def replace_dup_groups(self, rows: Sequence[tuple[str, str, str, float]]) -> None:
        self.conn.execute("DELETE FROM dup_groups")
        self.conn.executemany("INSERT INTO dup_groups VALUES (?,?,?,?)", rows)

    def dup_groups(self) -> dict[str, list[sqlite3.Row]]:
        groups: dict[str, list[sqlite3.Row]] = {}
        for row in self.conn.execute(
            "SELECT g.group_id, g.article_id, g.canonical, g.similarity, a.outlet, a.published,"
            " a.title FROM dup_groups g JOIN articles a ON a.id = g.article_id"
            " ORDER BY g.group_id, a.published IS NULL, a.published, a.id"
        ):
            groups.setdefault(row["group_id"], []).append(row)
        return groups

    def meta_of(self, ids: Sequence[str]) -> dict[str, sqlite3.Row]:
        sql = "SELECT id, outlet, published, title, words FROM articles WHERE id IN ({})"
        return {row["id"]: row for row in self._rows_in(sql, ids)}

    def published_of(self, ids: Sequence[str]) -> dict[str, str | None]:
        """Publication time of each article: a lighter ``meta_of`` for many ids."""
        return dict(self._rows_in("SELECT id, published FROM articles WHERE id IN ({})", ids))

    def urls_of(self, ids: Sequence[str]) -> dict[str, str | None]:
        """The stored url of each article (None where the record had none)."""
        return dict(self._rows_in("SELECT id, url FROM articles WHERE id IN ({})", ids))

    # -- reuse -------------------------------------------------------------------------
    def unanchored_ids(self) -> list[str]:
        return [
            r[0]
            for r in self.conn.execute(
                "SELECT id FROM articles WHERE id NOT IN (SELECT article_id FROM anchored) ORDER BY id"
            )
        ]

    def add_anchors(self, items: Sequence[tuple[str, Sequence[int]]]) -> None:
        self.conn.executemany("INSERT OR IGNORE INTO anchored VALUES (?)", [(i,) for i, _ in items])
        self.conn.executemany(
            "INSERT INTO anchors VALUES (?,?)", [(h, i) for i, hashes in items for h in hashes]
        )

    def anchor_pairs(self, max_df: int, min_shared: int) -> list[tuple[str, str, int]]:
        """Article pairs sharing at least ``min_shared`` anchors held by at most ``max_df`` articles."""
        return [
            tuple(r)
            for r in self.conn.execute(
                "WITH rare AS (SELECT hash FROM anchors GROUP BY hash HAVING count(*) BETWEEN 2 AND ?)"
                " SELECT x.article_id, y.article_id, count(*) FROM anchors x"
                " JOIN rare ON rare.hash = x.hash"
                " JOIN anchors y ON y.hash = x.hash AND x.article_id < y.article_id"
                " GROUP BY x.article_id, y.article_id HAVING count(*) >= ?"
                " ORDER BY x.article_id, y.article_id",
                (max_df, min_shared),
            )
        ]

    def aligned(self, a_id: str, b_id: str) -> bool:
        return (
            self.conn.execute(
                "SELECT 1 FROM aligned_pairs WHERE a_id=? AND b_id=?", (a_id, b_id)
            ).fetchone()
            is not None
        )

    def add_passages(self, a_id: str, b_id: str, passages: Sequence[Passage]) -> None:
        self.conn.execute("INSERT OR IGNORE INTO aligned_pairs VALUES (?,?)", (a_id, b_id))
        self.conn.executemany(
            "INSERT INTO passages VALUES (?,?,?,?,?,?,?,?)",
            [(a_id, b_id, p.kind, p.a[0], p.a[1], p.b[0], p.b[1], p.score) for p in passages],
        )

    def passages(self, ids: Sequence[str] | None = None) -> list[sqlite3.Row]:
        sql = (
            "SELECT p.*, a.outlet AS a_outlet, b.outlet AS b_outlet, a.published AS a_published,"
            " b.published AS b_published, substr(a.text, p.a_start + 1, p.a_end - p.a_start) AS a_text,"
            " substr(b.text, p.b_start + 1, p.b_end - p.b_start) AS b_text"
            " FROM passages p JOIN articles a ON a.id = p.a_id JOIN articles b ON b.id = p.b_id"
        )
        if ids is None:
            return self.conn.execute(sql + " ORDER BY p.rowid").fetchall()
        # One query over a JSON list of ids: chunks of a few hundred ids would miss the
        # passages between articles that fall in different chunks.
        wanted = json.dumps(list(ids))
        return self.conn.execute(
            sql + " WHERE p.a_id IN (SELECT value FROM json_each(?))"
            " AND p.b_id IN (SELECT value FROM json_each(?)) ORDER BY p.rowid",
            (wanted, wanted),
        ).fetchall()

    # -- stories -----------------------------------------------------------------------
    def replace_stories(self, stories: Sequence[Story], scores: dict[str, float]) -> None:
        """Every story at once; see ``clear_stories`` and ``add_stories``."""
        self.clear_stories()
        self.add_stories(stories, scores)

    def clear_stories(self) -> None:
        self.conn.execute("DELETE FROM stories")
        self.conn.execute("DELETE FROM story_articles")

    def add_stories(self, stories: Sequence[Story], scores: Mapping[str, float]) -> None:
        """Store stories whose ``article_ids`` and ``outlets`` are in publication order.

        The members and outlets are written with the story, so a clustering job can store
        each story as it closes instead of holding them all for one join at the end.
        """
        self.conn.executemany(
            "INSERT INTO stories (id, headline, keywords, first, last, size, members, outlets)"
            " VALUES (?,?,?,?,?,?,?,?)",
            [
                (
                    s.id,
                    s.headline,
                    json.dumps(list(s.keywords)),
                    s.first,
                    s.last,
                    len(s.article_ids),
                    json.dumps(list(s.article_ids)),
                    json.dumps(list(s.outlets), ensure_ascii=False),
                )
                for s in stories
            ],
        )
        self.conn.executemany(
            "INSERT INTO story_articles (story_id, article_id, score, article_rowid)"
            " VALUES (?, ?, ?, (SELECT rowid FROM articles WHERE id = ?))",
            [(s.id, a, scores.get(a, 1.0), a) for s in stories for a in s.article_ids],
        )

    def _members_by_join(self) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        """(members, outlets) per story, by publication time, from the member articles."""
        members: dict[str, list[str]] = {}
        outlets: dict[str, list[str]] = {}
        for story_id, article_id, outlet in self.conn.execute(
            "SELECT sa.story_id, sa.article_id, a.outlet FROM story_articles sa"
            " JOIN articles a ON a.id = sa.article_id"
            " ORDER BY a.published IS NULL, a.published, a.id"
        ):
            members.setdefault(story_id, []).append(article_id)
            seen = outlets.setdefault(story_id, [])
            if outlet and outlet not in seen:
                seen.append(outlet)
        return members, outlets

    def _fill_story_members(self) -> None:
        """Store each story's members and outlets, so serving a page of stories joins nothing."""
        members, outlets = self._members_by_join()
        self.conn.executemany(
            "UPDATE stories SET members=?, outlets=? WHERE id=?",
            [
                (json.dumps(m), json.dumps(outlets.get(sid, []), ensure_ascii=False), sid)
                for sid, m in members.items()
            ],
        )
        self.conn.execute("UPDATE stories SET members='[]', outlets='[]' WHERE members IS NULL")

    def stories(self) -> list[Story]:
        """Every story, biggest first, with its stored members and outlets."""
        return [
            _story(r)
            for r in self.conn.execute("SELECT * FROM stories ORDER BY size DESC, first, id")
        ]

    def story(self, story_id: str) -> Story:
        found = self._by_prefix("stories", story_id)
        if len(found) != 1:
            raise StoreError(f"no story {story_id}" if not found else f"{story_id} is ambiguous")
        return self.stories_by_id(found)[0]

    def search_stories(
        self,
        words: str = "",
        outlet: str = "",
        since: str = "",
        until: str = "",
        sort: str = "size",
        limit: int = 20,
        offset: int = 0,
    ) -> tuple[int, list[str]]:
        """(total, story ids of one page) matching every filter given.

        ``words`` must each occur in the headline, keywords, or some member article's title
        or text (names of people and places included), looked up in the FTS5 indexes so the
        cost follows the matches, not the corpus; dates compare as ISO strings.
        """
        where, args = [], []
        for phrase in _fts_phrases(words):
            where.append(
                "(s.rowid IN (SELECT rowid FROM stories_fts WHERE stories_fts MATCH ?)"
                " OR s.id IN (SELECT x.story_id FROM story_articles x WHERE x.article_rowid IN"
                " (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)))"
            )
            args += [phrase, phrase]
        if outlet:
            where.append(
                "s.id IN (SELECT x.story_id FROM articles a"
                " JOIN story_articles x ON x.article_id = a.id WHERE a.outlet = ?)"
            )
            args.append(outlet)
        if since:
            where.append("s.last >= ?")
            args.append(since)
        if until:
            where.append("s.first <= ?")
            args.append(until + "~")
        order = "s.last DESC, s.id" if sort == "recent" else "s.size DESC, s.first, s.id"
        if not where:  # the count is quick and the page comes straight off the sort index
            total = self.conn.execute("SELECT count(*) FROM stories").fetchone()[0]
            page = self.conn.execute(
                f"SELECT s.id FROM stories s ORDER BY {order} LIMIT ? OFFSET ?", (limit, offset)
            )
            return total, [r[0] for r in page]
        # Filters are the costly part: evaluate them once, count and cut the page here.
        ids = [
            r[0]
            for r in self.conn.execute(
                f"SELECT s.id FROM stories s WHERE {' AND '.join(where)} ORDER BY {order}", args
            )
        ]
        return len(ids), ids[offset : offset + limit]

    def story_rows(self, ids: Sequence[str]) -> list[sqlite3.Row]:
        """Story rows in the order of ``ids`` (a page: at most a few hundred), members and
        outlets left as the JSON text stored, for callers that pass them straight on."""
        if not ids:
            return []
        rows = {
            r["id"]: r
            for r in self.conn.execute(
                "SELECT id, headline, keywords, first, last, size, outlets, members FROM stories"
                f" WHERE id IN ({','.join('?' * len(ids))})",
                list(ids),
            )
        }
        return [rows[i] for i in ids if i in rows]

    def stories_by_id(self, ids: Sequence[str]) -> list[Story]:
        """Stories in the order of ``ids`` (a page of them: at most a few hundred)."""
        return [_story(r) for r in self.story_rows(ids)]

    def outlets(self) -> list[tuple[str, int]]:
        return [
            (r[0], r[1])
            for r in self.conn.execute(
                "SELECT outlet, count(*) FROM articles WHERE outlet IS NOT NULL GROUP BY outlet ORDER BY outlet"
            )
        ]

    def article_story(self, article_id: str) -> str | None:
        row = self.conn.execute(
            "SELECT story_id FROM story_articles WHERE article_id=?", (article_id,)
        ).fetchone()
        return row[0] if row else None

    # -- quotes ------------------------------------------------------------------------
    def replace_quotes(
        self, article_id: str, quotes: Sequence[Quote], entities: Sequence[Entity] = ()
    ) -> None:
        """Store one article's quotes and named entities (with descriptors), replacing old ones."""
        self.conn.execute("DELETE FROM entities WHERE article_id=?", (article_id,))
        self.conn.executemany(
            "INSERT INTO entities VALUES (?,?,?,?,?)",
            [
                (
                    article_id,
                    e.name,
                    e.label,
                    len(e.mentions),
                    json.dumps(list(e.descriptors), ensure_ascii=False),
                )
                for e in entities
            ],
        )
        self.conn.execute("DELETE FROM quotes WHERE article_id=?", (article_id,))
        self.conn.executemany(
            "INSERT INTO quotes VALUES (?,?,?,?,?,?,?,?)",
            [
                (
                    article_id,
                    q.span[0],
                    q.span[1],
                    q.text,
                    q.speaker,
                    q.speaker_resolved,
                    q.cue,
                    int(q.direct),
                )
                for q in quotes
            ],
        )
        self.conn.execute("INSERT OR REPLACE INTO analysed VALUES (?, 'quotes')", (article_id,))

    def unquoted_ids(self) -> list[str]:
        return [
            r[0]
            for r in self.conn.execute(
                "SELECT id FROM articles WHERE id NOT IN (SELECT article_id FROM analysed)"
            )
        ]

    def quotes(self, ids: Sequence[str] | None = None) -> list[sqlite3.Row]:
        sql = (
            "SELECT q.*, a.outlet, a.published FROM quotes q JOIN articles a ON a.id = q.article_id"
        )
        if ids is None:
            return self.conn.execute(sql + " ORDER BY q.article_id, q.start").fetchall()
        return list(
            self._rows_in(sql + " WHERE q.article_id IN ({}) ORDER BY q.article_id, q.start", ids)
        )

    def entities(self, ids: Sequence[str]) -> list[sqlite3.Row]:
        sql = (
            "SELECT e.*, a.outlet FROM entities e JOIN articles a ON a.id = e.article_id"
            " WHERE e.article_id IN ({})"
        )
        return list(self._rows_in(sql, ids))

    def table_rows(self, table: str) -> Iterator[dict[str, Any]]:
        """Rows of an exportable table, as dicts."""
        queries = {
            "articles": "SELECT id, record_id, source, url, outlet, title, published, language,"
            " authors, stripped, words, text FROM articles ORDER BY published IS NULL, published, id",
            "passages": "SELECT a_id, b_id, kind, a_start, a_end, b_start, b_end, score FROM passages ORDER BY rowid",
            "quotes": "SELECT article_id, start, end, text, speaker, speaker_resolved, cue, direct FROM quotes"
            " ORDER BY article_id, start",
            "stories": "SELECT s.id AS story_id, s.headline, s.keywords, s.first, s.last, sa.article_id"
            " FROM stories s JOIN story_articles sa ON sa.story_id = s.id ORDER BY s.id, sa.article_id",
        }
        if table not in queries:
            raise StoreError(f"cannot export {table!r} (one of {', '.join(queries)})")
        cursor = self.conn.execute(queries[table])
        names = [d[0] for d in cursor.description]
        for row in cursor:
            yield dict(zip(names, row, strict=True))
