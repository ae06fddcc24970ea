"""Stories in the store: writing a clustering's result whole, reading and searching it.

A mixin of ``Store`` (see ``store.base``). Each story row keeps its members and outlets as
JSON, by publication time, so a page of stories is a read of a few rows, never a join
over their articles; FTS5 indexes (migration 5) make search cost follow the matches.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from storytrace.errors import StoreError
from storytrace.model import Story
from storytrace.store.base import Connected
from storytrace.store.rows import StorySummary

_TOKEN = re.compile(r"[^\W_]+")  # what FTS5's unicode61 tokenizer keeps: letters and digits


def story_of(row: sqlite3.Row) -> Story:
    return Story(
        row["id"],
        row["headline"],
        tuple(json.loads(row["members"] or "[]")),
        tuple(json.loads(row["keywords"])),
        row["first"],
        row["last"],
        tuple(json.loads(row["outlets"] or "[]")),
    )


def fts_phrases(words: str, limit: int = 8) -> list[str]:
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


class StoryStore(Connected):
    """Stories, their members, search over them."""

    def replace_story_rows(
        self, stories: Iterable[Mapping[str, Any]], members: Iterable[Mapping[str, Any]]
    ) -> None:
        """Every story at once, from a run's ``stories`` and ``story_members`` tables.

        The ids being replaced are kept as aliases (migration 11), so a link to a story
        from before the rebuild still finds the story that holds its earliest article.
        """
        self._remember_story_ids()
        self.clear_stories()
        self.conn.executemany(
            "INSERT INTO stories (id, headline, keywords, first, last, size, members, outlets)"
            " VALUES (?,?,?,?,?,?,?,?)",
            (
                (
                    s["id"],
                    s["headline"],
                    json.dumps(list(s["keywords"] or []), ensure_ascii=False),
                    s["first"],
                    s["last"],
                    s["size"],
                    json.dumps(list(s["members"] or [])),
                    json.dumps(list(s["outlets"] or []), ensure_ascii=False),
                )
                for s in stories
            ),
        )
        self.conn.executemany(
            "INSERT INTO story_articles (story_id, article_id, score, article_rowid)"
            " VALUES (?, ?, ?, (SELECT rowid FROM articles WHERE id = ?))",
            ((m["story_id"], m["article_id"], m["score"], m["article_id"]) for m in members),
        )
        self._point_story_aliases()

    def _remember_story_ids(self) -> None:
        """Record every current story's id with its earliest member, before they go."""
        self.conn.execute(
            "INSERT OR REPLACE INTO story_aliases (old_id, article_id, new_id)"
            " SELECT id, json_extract(members, '$[0]'), NULL FROM stories"
            " WHERE json_array_length(members) > 0"
        )

    def _point_story_aliases(self) -> None:
        """Point each alias at the story now holding its article; drop ids that are live."""
        self.conn.execute(
            "UPDATE story_aliases SET new_id ="
            " (SELECT story_id FROM story_articles WHERE article_id = story_aliases.article_id)"
        )
        self.conn.execute("DELETE FROM story_aliases WHERE old_id IN (SELECT id FROM stories)")

    def story_alias(self, story_id: str) -> str | None:
        """The story an old story id now leads to (whole ids only), or None."""
        row = self.conn.execute(
            "SELECT new_id FROM story_aliases WHERE old_id = ?", (story_id,)
        ).fetchone()
        return row[0] if row else None

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
            story_of(r)
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
        for phrase in fts_phrases(words):
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

    def story_rows(self, ids: Sequence[str]) -> list[StorySummary]:
        """Stories in the order of ``ids`` (a page: at most a few hundred), the member ids
        left as the JSON text stored, for callers that pass them straight on."""
        if not ids:
            return []
        rows = {
            r[0]: StorySummary(
                r[0],
                r[1],
                tuple(json.loads(r[2])),
                r[3],
                r[4],
                r[5],
                tuple(json.loads(r[6] or "[]")),
                r[7] or "[]",
            )
            for r in self.conn.execute(
                "SELECT id, headline, keywords, first, last, size, outlets, members FROM stories"
                f" WHERE id IN ({','.join('?' * len(ids))})",
                list(ids),
            )
        }
        return [rows[i] for i in ids if i in rows]

    def stories_by_id(self, ids: Sequence[str]) -> list[Story]:
        """Stories in the order of ``ids`` (a page of them: at most a few hundred)."""
        if not ids:
            return []
        rows = {
            r["id"]: story_of(r)
            for r in self.conn.execute(
                f"SELECT * FROM stories WHERE id IN ({','.join('?' * len(ids))})", list(ids)
            )
        }
        return [rows[i] for i in ids if i in rows]

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
