"""Quotes and entities as a corpus stage: one spaCy parse per article, both read from it."""

from __future__ import annotations

from typing import Any

import pyarrow as pa


def analyse(table: pa.Table, _: Any = None) -> list[dict[str, Any]]:
    """Stage: (id, text) -> (article_id, quotes, entities), the lists as nested rows.

    Only the first ``pipeline.MAX_CHARS`` characters of an article are parsed: parsing
    cost grows with length, and no news article needs more (a bound on one article's work).
    """
    from storytrace.nlp.descriptors import descriptors_for
    from storytrace.nlp.entities import NAMED, entities_from_doc
    from storytrace.nlp.pipeline import parse
    from storytrace.nlp.quotes import quotes_from_doc

    ids = table.column("id").to_pylist()
    docs = parse(table.column("text").to_pylist())
    out = []
    for article_id, doc in zip(ids, docs, strict=True):
        named = [e for e in entities_from_doc(doc) if e.label in NAMED]
        out.append(
            {
                "article_id": article_id,
                "quotes": [
                    {
                        "start": q.span[0],
                        "end": q.span[1],
                        "text": q.text,
                        "speaker": q.speaker,
                        "speaker_resolved": q.speaker_resolved,
                        "cue": q.cue,
                        "direct": q.direct,
                        "via": q.via,
                    }
                    for q in quotes_from_doc(doc)
                ],
                "entities": [
                    {
                        "name": e.name,
                        "label": e.label,
                        "mentions": len(e.mentions),
                        "descriptors": list(e.descriptors),
                    }
                    for e in descriptors_for(doc, named)
                ],
            }
        )
    return out


def quote_rows(table: pa.Table, _: Any = None) -> list[dict[str, Any]]:
    """Stage: analysed articles -> one row per quote."""
    return [
        {"article_id": r["article_id"], **q}
        for r in table.select(["article_id", "quotes"]).to_pylist()
        for q in r["quotes"] or []
    ]


def entity_rows(table: pa.Table, _: Any = None) -> list[dict[str, Any]]:
    """Stage: analysed articles -> one row per named entity, with its descriptors."""
    return [
        {"article_id": r["article_id"], **e}
        for r in table.select(["article_id", "entities"]).to_pylist()
        for e in r["entities"] or []
    ]
