"""Views over the store for presentation: one story outlet by outlet, reuse between outlets.

These only arrange what the corpus jobs stored; they compute nothing new.
"""

from __future__ import annotations

from collections import Counter, defaultdict
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
                "via": q.via,
                "direct": q.direct,
            }
        )
    ranked = sorted(
        speakers.values(),
        key=lambda s: (-len(s["outlets"]), -len(s["quotes"]), s["speaker"]),
    )
    first = rows[0] if rows else None
    return {
        "labels": label_table(store, ids),
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


_ACTORS = ("person", "organisation", "group")


def label_table(store: Store, ids: list[str], top: int = 12) -> list[dict[str, Any]]:
    """The story's most named actors, each once, with what each outlet calls them.

    Articles' entities become one actor when their names match (``aliases.alias_match``:
    "Kata'ib Hezbollah" and "Hezbollah Brigades", "PMU" and "Popular Mobilization Units"),
    fullest name first, each joining the actor it matches best; an actor takes one entity
    per article, so two people an article tells apart stay apart. Each outlet appears once
    per actor, with its descriptors and the names it uses (``names``) merged over its
    articles. The actor's kind is the one most of its mentions carry.
    """
    from storytrace.nlp.aliases import MERGE_AT, alias_match
    from storytrace.nlp.entities import name_key

    groups: list[dict[str, Any]] = []
    for row in sorted(store.entities(ids), key=lambda r: (-len(r.name), r.name, r.article_id)):
        if row.name.isupper():
            continue  # a dateline ("HOLLIN -"), not an actor
        key = name_key(row.name)
        best, best_score = None, 0.0
        for group in groups:
            if row.article_id in group["articles"]:
                continue
            for gkey, gkind in group["names"]:
                match = alias_match(key, row.label, gkey, gkind)
                if match is not None and match.score >= MERGE_AT and match.score > best_score:
                    best, best_score = group, match.score
        if best is None:
            best = {"names": [], "articles": set(), "kinds": defaultdict(int), "outlets": {}}
            best.update(name=row.name, mentions=0, aliases={})
            groups.append(best)
        best["articles"].add(row.article_id)
        if (key, row.label) not in best["names"]:
            best["names"].append((key, row.label))
        best["kinds"][row.label] += row.mentions
        best["mentions"] += row.mentions
        outlet = row.outlet or "unknown"
        labels = best["outlets"].setdefault(outlet, [])
        for d in row.descriptors:
            if d.casefold() not in {x.casefold() for x in labels}:
                labels.append(d)
        names = best["aliases"].setdefault(outlet, [])
        if row.name not in names:
            names.append(row.name)
    for group in groups:
        group["label"] = max(group["kinds"], key=lambda k: (group["kinds"][k], k == "person"))
    actors = [g for g in groups if g["label"] in _ACTORS]
    ranked = sorted(actors, key=lambda g: (-len(g["outlets"]), -g["mentions"], g["name"]))[:top]
    return [
        {
            "name": g["name"],
            "label": g["label"],
            "mentions": g["mentions"],
            "outlets": g["outlets"],
            "names": g["aliases"],
        }
        for g in ranked
    ]


def describe(shown: str, names: list[str], descriptors: list[str]) -> str:
    """What one source calls an actor shown as ``shown``, as one line: its other names, then
    its descriptors ("named “Kata'ib Hezbollah”; another Iraqi anti-terror group")."""
    parts = [f"named “{n}”" for n in names if n != shown] + list(descriptors)
    return "; ".join(parts)


def label_cell(actor: dict[str, Any], outlet: str) -> str:
    """One outlet's cell of the label table; empty when the outlet only names the actor as
    the table does and describes it no further."""
    return describe(
        actor["name"], actor.get("names", {}).get(outlet, []), actor["outlets"].get(outlet, [])
    )


def outlet_flows(store: Store, left_out: Counter[str] | None = None) -> list[dict[str, Any]]:
    """Per (source outlet, taking outlet): article pairs, passages and words reused.

    An edge joins two known, different outlets. Reuse inside one outlet (an article updated
    in place, a wire story on the wire's own site twice) says nothing about who takes text
    from whom, and an article without an outlet cannot be placed in the graph; the
    passages left out for each reason are counted in ``left_out`` ("same outlet",
    "unknown outlet") when a Counter is given, so a report can say what it does not show.
    """
    pairs: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    skipped: Counter[str] = Counter() if left_out is None else left_out
    for p in store.passages():
        if not p.a_outlet or not p.b_outlet:
            skipped["unknown outlet"] += 1
            continue
        if p.a_outlet == p.b_outlet:
            skipped["same outlet"] += 1
            continue
        key = (p.a_outlet, p.b_outlet)
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
