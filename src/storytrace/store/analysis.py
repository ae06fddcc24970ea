"""What the corpus jobs found, in the store: near-duplicate groups, reused passages, quotes
and entities. A mixin of ``Store``, like ``ArticleStore``; every method returns typed rows.

The jobs themselves run in an engine (``storytrace.pipeline``); the store receives their
tables and hands them to presentation, it computes nothing.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import pyarrow as pa

from storytrace.store.base import Connected
from storytrace.store.rows import DupMember, EntityRow, PassageRow, QuoteRow


class AnalysisStore(Connected):
    """Near-duplicate groups, passages, quotes and entities."""

    # -- near-duplicates ---------------------------------------------------------------
    def replace_dup_groups(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Every group at once: (article_id, group_id, canonical, similarity) rows."""
        self.conn.execute("DELETE FROM dup_groups")
        self.conn.executemany(
            "INSERT INTO dup_groups VALUES (?,?,?,?)",
            ((r["article_id"], r["group_id"], r["canonical"], r["similarity"]) for r in rows),
        )

    def dup_groups(self) -> dict[str, list[DupMember]]:
        """Members of each group, canonical first, then by publication time."""
        groups: dict[str, list[DupMember]] = {}
        for row in self.conn.execute(
            "SELECT g.group_id, g.article_id, g.canonical, g.similarity, a.outlet, a.published,"
            " a.title FROM dup_groups g JOIN articles a ON a.id = g.article_id"
            " ORDER BY g.group_id, g.article_id != g.canonical, a.published IS NULL, a.published, a.id"
        ):
            groups.setdefault(row[0], []).append(DupMember(*row))
        return groups

    def dup_group_table(self, schema: pa.Schema) -> pa.Table:
        rows = self.conn.execute(
            "SELECT article_id, group_id, canonical, similarity FROM dup_groups"
        ).fetchall()
        return pa.Table.from_pylist(
            [dict(zip(schema.names, r, strict=True)) for r in rows], schema=schema
        )

    # -- reuse -------------------------------------------------------------------------
    def add_passage_rows(self, rows: Iterable[Mapping[str, Any]]) -> None:
        self.conn.executemany(
            "INSERT INTO passages VALUES (?,?,?,?,?,?,?,?)",
            (
                (
                    r["a_id"],
                    r["b_id"],
                    r["kind"],
                    r["a_start"],
                    r["a_end"],
                    r["b_start"],
                    r["b_end"],
                    r["score"],
                )
                for r in rows
            ),
        )

    def add_aligned_pairs(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Directed pairs already aligned, passages or none, so no job aligns them again."""
        self.conn.executemany("INSERT OR IGNORE INTO aligned_pairs VALUES (?,?)", pairs)

    def aligned_tables(self, schema: pa.Schema, batch: int = 50_000) -> Iterator[pa.Table]:
        cursor = self.conn.execute("SELECT a_id, b_id FROM aligned_pairs ORDER BY a_id, b_id")
        while rows := cursor.fetchmany(batch):
            yield pa.Table.from_pylist(
                [dict(zip(schema.names, r, strict=True)) for r in rows], schema=schema
            )

    def passage_tables(self, schema: pa.Schema, batch: int = 50_000) -> Iterator[pa.Table]:
        columns = ", ".join(schema.names)
        cursor = self.conn.execute(f"SELECT {columns} FROM passages ORDER BY rowid")
        while rows := cursor.fetchmany(batch):
            yield pa.Table.from_pylist(
                [dict(zip(schema.names, r, strict=True)) for r in rows], schema=schema
            )

    def clear_passages(self) -> None:
        self.conn.execute("DELETE FROM passages")
        self.conn.execute("DELETE FROM aligned_pairs")

    def passages(self, ids: Sequence[str] | None = None) -> list[PassageRow]:
        """Passages with both texts (between ``ids`` only, when given), in stored order."""
        sql = (
            "SELECT p.a_id, p.b_id, p.kind, p.a_start, p.a_end, p.b_start, p.b_end, p.score,"
            " a.outlet, b.outlet, a.published, b.published,"
            " substr(a.text, p.a_start + 1, p.a_end - p.a_start),"
            " substr(b.text, p.b_start + 1, p.b_end - p.b_start)"
            " FROM passages p JOIN articles a ON a.id = p.a_id JOIN articles b ON b.id = p.b_id"
        )
        if ids is None:
            return [PassageRow(*r) for r in self.conn.execute(sql + " ORDER BY p.rowid")]
        # One query over a JSON list of ids: chunks of a few hundred ids would miss the
        # passages between articles that fall in different chunks.
        wanted = json.dumps(list(ids))
        return [
            PassageRow(*r)
            for r in self.conn.execute(
                sql + " WHERE p.a_id IN (SELECT value FROM json_each(?))"
                " AND p.b_id IN (SELECT value FROM json_each(?)) ORDER BY p.rowid",
                (wanted, wanted),
            )
        ]

    # -- quotes and entities -----------------------------------------------------------
    def add_analyses(
        self,
        article_ids: Iterable[str],
        quotes: Iterable[Mapping[str, Any]],
        entities: Iterable[Mapping[str, Any]],
    ) -> None:
        """Quotes and entities of freshly analysed articles, replacing any they had."""
        done = list(article_ids)
        for table in ("quotes", "entities"):
            self.conn.executemany(f"DELETE FROM {table} WHERE article_id=?", ((i,) for i in done))
        self.conn.executemany(
            "INSERT INTO quotes VALUES (?,?,?,?,?,?,?,?,?)",
            (
                (
                    q["article_id"],
                    q["start"],
                    q["end"],
                    q["text"],
                    q["speaker"],
                    q["speaker_resolved"],
                    q["cue"],
                    int(q["direct"]),
                    q.get("via"),
                )
                for q in quotes
            ),
        )
        self.conn.executemany(
            "INSERT INTO entities VALUES (?,?,?,?,?)",
            (
                (
                    e["article_id"],
                    e["name"],
                    e["label"],
                    e["mentions"],
                    json.dumps(list(e["descriptors"] or []), ensure_ascii=False),
                )
                for e in entities
            ),
        )
        self.conn.executemany(
            "INSERT OR REPLACE INTO analysed VALUES (?, 'quotes')", ((i,) for i in done)
        )

    def unquoted_ids(self) -> list[str]:
        return [
            r[0]
            for r in self.conn.execute(
                "SELECT id FROM articles WHERE id NOT IN (SELECT article_id FROM analysed) ORDER BY id"
            )
        ]

    def quotes(self, ids: Sequence[str] | None = None) -> list[QuoteRow]:
        sql = (
            "SELECT q.article_id, q.start, q.end, q.text, q.speaker, q.speaker_resolved, q.cue,"
            " q.direct, a.outlet, a.published, q.via"
            " FROM quotes q JOIN articles a ON a.id = q.article_id"
        )
        if ids is None:
            rows: Iterable[sqlite3.Row] = self.conn.execute(sql + " ORDER BY q.article_id, q.start")
        else:
            rows = self._rows_in(
                sql + " WHERE q.article_id IN ({}) ORDER BY q.article_id, q.start", ids
            )
        return [QuoteRow(*r[:7], bool(r[7]), r[8], r[9], r[10]) for r in rows]

    def entities(self, ids: Sequence[str]) -> list[EntityRow]:
        sql = (
            "SELECT e.article_id, e.name, e.label, e.mentions, e.descriptors, a.outlet FROM entities e"
            " JOIN articles a ON a.id = e.article_id WHERE e.article_id IN ({})"
        )
        return [
            EntityRow(r[0], r[1], r[2], r[3], tuple(json.loads(r[4])), r[5])
            for r in self._rows_in(sql, ids)
        ]
