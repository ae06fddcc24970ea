"""Views over the store for presentation: one story outlet by outlet, reuse between outlets.

These only arrange what the corpus jobs stored; they compute nothing new.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from storytrace.report.words import UNKNOWN_OUTLET
from storytrace.store.db import Store


def _speaker_key(name: str | None) -> str | None:
    if not name:
        return None
    from storytrace.nlp.entities import name_key, name_words

    words = name_words(name_key(name))
    return words[-1] if words else None


def story_view(store: Store, story_id: str) -> dict[str, Any]:
    """Everything ``storytrace story`` shows, as plain data (also its JSON)."""
    story = store.story(story_id)
    ids = list(story.article_ids)
    meta = store.meta_of(ids)
    rows = sorted((meta[i] for i in ids if i in meta), key=lambda r: (r.published or "~", r.id))
    by_outlet: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_outlet[r.outlet or UNKNOWN_OUTLET].append(
            {"id": r.id, "title": r.title, "published": r.published, "words": r.words}
        )
    passages = [
        {
            "from": p.a_id,
            "to": p.b_id,
            "from_outlet": p.a_outlet,
            "to_outlet": p.b_outlet,
            "kind": p.kind,
            "score": round(p.score, 3),
            "text": p.a_text,
            "taken_as": p.b_text,
        }
        for p in store.passages(ids)
    ]
    speakers: dict[str, dict[str, Any]] = {}
    for q in store.quotes(ids):
        name = q.speaker_resolved or q.speaker
        key = _speaker_key(name)
        if key is None:
            continue
        entry = speakers.setdefault(key, {"speaker": name, "outlets": [], "quotes": []})
        if name and len(name) > len(entry["speaker"]):
            entry["speaker"] = name
        if q.outlet not in entry["outlets"]:
            entry["outlets"].append(q.outlet)
        entry["quotes"].append(
            {
                "article": q.article_id,
                "outlet": q.outlet,
                "text": q.text,
                "cue": q.cue,
                "direct": q.direct,
            }
        )
    ranked = sorted(
        speakers.values(),
        key=lambda s: (-len(s["outlets"]), -len(s["quotes"]), s["speaker"]),
    )
    first = rows[0] if rows else None
    return {
        "labels": _labels(store, ids),
        "story": story.to_dict(),
        "first": {
            "id": first.id,
            "outlet": first.outlet,
            "published": first.published,
            "title": first.title,
        }
        if first
        else None,
        "timeline": [
            {
                "id": r.id,
                "outlet": r.outlet,
                "published": r.published,
                "title": r.title,
                "url": r.url,
            }
            for r in rows
        ],
        "outlets": [
            {"outlet": o, "articles": arts}
            for o, arts in sorted(
                by_outlet.items(), key=lambda kv: (kv[1][0]["published"] or "~", kv[0])
            )
        ],
        "passages": passages,
        "speakers": ranked,
    }


def _labels(store: Store, ids: list[str], top: int = 12) -> list[dict[str, Any]]:
    """The story's most named entities, with each outlet's descriptors for them."""
    from storytrace.nlp.entities import name_key, same_entity

    groups: list[dict[str, Any]] = []
    for row in sorted(store.entities(ids), key=lambda r: -len(r.name)):
        if row.name.isupper():
            continue  # a dateline ("HOLLIN -"), not an actor
        key = name_key(row.name)
        group = next(
            (
                g
                for g in groups
                if g["label"] == row.label and same_entity(key, g["key"], row.label)
            ),
            None,
        )
        if group is None:
            group = {
                "key": key,
                "name": row.name,
                "label": row.label,
                "mentions": 0,
                "outlets": {},
            }
            groups.append(group)
        group["mentions"] += row.mentions
        labels = group["outlets"].setdefault(row.outlet or "unknown", [])
        for d in row.descriptors:
            if d not in labels:
                labels.append(d)
    ranked = sorted(groups, key=lambda g: (-len(g["outlets"]), -g["mentions"], g["name"]))[:top]
    return [
        {"name": g["name"], "label": g["label"], "mentions": g["mentions"], "outlets": g["outlets"]}
        for g in ranked
        if g["label"] in ("person", "organisation", "group")
    ]


def outlet_flows(store: Store) -> list[dict[str, Any]]:
    """Per (source outlet, taking outlet): article pairs, passages and words reused."""
    pairs: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for p in store.passages():
        key = (p.a_outlet or "unknown", p.b_outlet or "unknown")
        pairs[key].add((p.a_id, p.b_id))
        counts[key][0] += 1
        counts[key][1] += len((p.a_text or "").split())
    return sorted(
        (
            {
                "from": k[0],
                "to": k[1],
                "articles": len(pairs[k]),
                "passages": counts[k][0],
                "words": counts[k][1],
            }
            for k in pairs
        ),
        key=lambda f: (-f["words"], f["from"], f["to"]),
    )
