"""The embedded store: one SQLite file in WAL mode. The only package that writes SQL.

Every write that belongs together happens in one transaction (``with store.transaction()``),
so a crash or a kill leaves either all of a batch or none of it. Reads stream with
iterators so a large store never has to fit in memory, and return typed rows
(``store.rows``) or the model's records, never ``sqlite3.Row`` objects.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from storytrace.errors import StoreError
from storytrace.store.analysis import AnalysisStore
from storytrace.store.articles import ArticleStore
from storytrace.store.exports import ExportStore
from storytrace.store.schema import MIGRATIONS, VERSION
from storytrace.store.stories import StoryStore

DEFAULT_PATH = Path("storytrace.db")
# Data a migration adds that SQL alone cannot derive: migration number -> Store method run
# inside that migration's transaction.
_FILL_AFTER = {6: "_fill_story_members"}
_TABLES = frozenset(
    [
        "articles",
        "rejections",
        "files",
        "passages",
        "stories",
        "story_aliases",
        "quotes",
        "dup_groups",
        "aligned_pairs",
        "entities",
    ]
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


def writable(path: Path) -> bool:
    """Whether this user can write the store at ``path``: the file (if there is one) and its
    folder, where SQLite keeps the write-ahead log and its index."""
    if not os.access(path.parent, os.W_OK):
        return False
    return not path.exists() or os.access(path, os.W_OK)


class Store(ArticleStore, AnalysisStore, StoryStore, ExportStore):
    """A storytrace database. ``Store.open(path)`` creates or upgrades it.

    The reading and writing methods live in mixins by subject (``store.articles``,
    ``store.analysis``, ``store.stories``, and ``store.exports`` for ``storytrace export``);
    this class opens, upgrades and guards the connection they share.
    """

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
        # SQLite keeps a WAL store's shared-memory index in a file beside it; where this user
        # cannot create that file (a read-only folder), the store is opened as immutable
        query = "mode=ro" if writable(path) else "mode=ro&immutable=1"
        try:
            conn = sqlite3.connect(
                f"{path.resolve().as_uri()}?{query}",
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
        if not writable(path):
            where = (
                "the file" if path.exists() and os.access(path.parent, os.W_OK) else "its folder"
            )
            raise StoreError(
                f"{path}: cannot write the database here ({where} is read-only); the "
                "commands that only read a store (stories, story, outlets, export, serve) work"
            )
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

    def count(self, table: str = "articles") -> int:
        if table not in _TABLES:
            raise StoreError(f"no table {table}")
        return self.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]

    def setting(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM settings WHERE key=?", (key,)).fetchone()
        return row[0] if row else None
