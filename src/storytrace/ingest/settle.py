"""Settling what was read, as corpus stages: one copy of each text, one text per record id,
one name per outlet.

Reading many files in parallel gives the same text more than once (a wire story in several
feeds), a record id now and then for two texts (an article edited after publication), and
an outlet under its name in some files and its bare domain in others. These stages decide
each case the way ``storytrace ingest`` does when it reads files one after another: the
record that comes first, by file and then by its number in the file, wins; later ones are
duplicates or rejections with a reason.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from storytrace.engine.tables import group_starts, groups, rows

ARTICLE_COLUMNS = (
    "id",
    "record_id",
    "source",
    "url",
    "outlet",
    "title",
    "published",
    "language",
    "authors",
    "stripped",
    "meta",
    "text",
    "words",
)


def rejected_records(table: pa.Table, _: Any = None) -> pa.Table:
    """Stage: the rejections among read records."""
    return table.filter(pc.is_valid(table.column("reason"))).select(
        ["source", "reason", "file", "record"]
    )


def article_records(table: pa.Table, _: Any = None) -> pa.Table:
    """Stage: the articles among read records, keyed by their id for ``first_copies``."""
    kept = table.filter(pc.is_null(table.column("reason")))
    return kept.set_column(kept.schema.get_field_index("key"), "key", kept.column("id"))


def first_copies(table: pa.Table, _: Any = None) -> pa.Table:
    """Stage over groups of one ``key``, ordered by file and record: the first row of each.

    Keyed by article id, this stores each text once; the rows dropped are duplicates.
    """
    return table.take(pa.array(group_starts(table, ["key"]), pa.int64()))


def record_id_keys(table: pa.Table, _: Any = None) -> pa.Table:
    """Stage: key each article by its record id (a record without one by its own id)."""
    record_ids = table.column("record_id")
    keys = pc.if_else(
        pc.is_valid(record_ids),
        pc.binary_join_element_wise("r:", record_ids, ""),
        pc.binary_join_element_wise("a:", table.column("id"), ""),
    )
    return table.set_column(table.schema.get_field_index("key"), "key", keys)


def record_id_conflicts(table: pa.Table, _: Any = None) -> list[dict[str, Any]]:
    """Stage over groups of one record id, ordered by file and record.

    The first text under a record id stays; a later, different text under the same id is
    rejected (its reason says which id), as ``storytrace ingest`` refuses it.
    """
    out: list[dict[str, Any]] = []
    for group in groups(table, ["key"]):
        members = rows(group)
        first = members[0]
        out.append(first)
        for other in members[1:]:
            if other["id"] == first["id"]:
                continue
            out.append(
                {
                    **other,
                    "reason": f"record id {other['record_id']!r} already stored with different text",
                }
            )
    return out


def outlet_claims(table: pa.Table, _: Any = None) -> pa.Table:
    """Stage: (domain, outlet, file, record) of the articles whose domain is known."""
    kept = table.filter(
        pc.and_(pc.is_valid(table.column("domain")), pc.is_null(table.column("reason")))
    )
    return kept.select(["domain", "outlet", "file", "record"])


def outlet_names(table: pa.Table, _: Any = None) -> list[dict[str, str]]:
    """Stage over groups of one domain, ordered by file and record: the outlet's one name.

    The first name that is more than the bare domain wins, so a site's articles without
    their site name join those that carry it; a domain never named keeps the domain.
    """
    out = []
    for group in groups(table, ["domain"]):
        domain = group.column("domain")[0].as_py()
        named = [o for o in group.column("outlet").to_pylist() if o and o != domain]
        out.append({"domain": domain, "name": named[0] if named else domain})
    return out


def named_articles(table: pa.Table, _: Any = None) -> pa.Table:
    """Stage: articles with their outlet's settled name (joined in as ``outlet_name``).

    An article that names its outlet keeps that name; only one whose outlet is missing or
    just its domain takes the name settled for the domain, so no record renames another
    outlet's articles.
    """
    names = table.column("outlet_name")
    own = table.column("outlet")
    bare = pc.or_kleene(pc.is_null(own), pc.equal(own, table.column("domain")))
    bare = pc.fill_null(bare, True)
    outlet = pc.if_else(pc.and_(bare, pc.is_valid(names)), names, own)
    return table.set_column(table.schema.get_field_index("outlet"), "outlet", outlet).select(
        list(ARTICLE_COLUMNS)
    )
