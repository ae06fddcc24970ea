"""What every part of the store shares: the connection and one chunked IN-query."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence


class Connected:
    """A base of the store's mixins: a SQLite connection and a helper for long id lists."""

    conn: sqlite3.Connection

    def _rows_in(self, sql: str, ids: Sequence[str]) -> Iterator[sqlite3.Row]:
        """Rows of ``sql`` with its ``IN ({})`` given ``ids``, at most 900 ids per query
        (SQLite caps the parameters of one statement)."""
        for i in range(0, len(ids), 900):
            chunk = list(ids[i : i + 900])
            yield from self.conn.execute(sql.format(",".join("?" * len(chunk))), chunk)

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
