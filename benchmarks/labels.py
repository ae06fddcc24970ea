"""Entities and their labels on NewsWCL50: mention recall per concept, descriptor precision.

    python benchmarks/labels.py [--baseline REV]

NewsWCL50 (../shared/data/newswcl50) annotates, in each of 50 articles (10 events x 5
outlets), every mention of the event's main concepts, linked across the event's articles
(chains such as ``0_USA_Mike_Pompeo_ACTOR``). The concepts scored here are the actors:
chains ending in ``_ACTOR``, ``_GROUP`` or ``_COUNTRY`` (not the ``-I`` chains of unnamed
individuals, nor actions, events, objects). The tokenised text is joined back into plain
text (no space before punctuation and clitics, hyphens closed up, ``\\n`` tokens as paragraph
breaks) and parsed by storytrace as one article per outlet.

- Which entity is a concept's: in each article, the named entity of storytrace (person,
  organisation, group, place, event) whose name mentions overlap the most gold mentions of
  the concept. A concept storytrace does not name in an article gets no entity there.
- Mention recall: a gold mention is attached when one of that entity's name mentions or
  descriptors overlaps it. Per concept, attached / gold mentions pooled over its outlets;
  reported as the macro mean over concepts (``recall``) and over all mentions (``micro``),
  both for every gold mention (pronouns included, which storytrace never attaches) and for
  *named* gold mentions (those holding a capitalised word other than the first of a
  sentence, the ones an entity linker can reach).
- Descriptor precision: each descriptor of an entity that is some concept's entity is found
  in the text (the occurrence nearest one of the entity's mentions) and counts right when it
  lies inside a gold mention of that concept. Descriptors of entities no concept maps to
  are not judged (NewsWCL50 annotates only the main concepts); their count is reported.
- Cross-outlet pairing: for each pair of articles of an event and each concept with an
  entity in both, whether ``compare``'s entity table pairs those two entities (recall); and of
  the pairs it makes between two concepts' entities, the share that are the same concept
  (precision).

``--baseline REV`` measures the code of commit REV in the same run: it is checked out into a
temporary ``git worktree`` outside the repository, this script runs there in a child process
(PYTHONPATH pointing at that checkout's ``src``), and the worktree is removed afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any

from _shared import DATA, ROOT, Timer, need, write_result

Span = tuple[int, int]
ACTOR_KINDS = ("_ACTOR", "_GROUP", "_COUNTRY")
TABLE_EVENTS = ("1", "6")  # events shown concept by concept in docs/benchmarks.md
TABLE_CONCEPTS = 3  # the most mentioned actors and groups (not countries) of each shown event
_NO_SPACE_BEFORE = {",", ".", ":", ";", "!", "?", ")", "]", "%", "”", "’", "...", "…"}
_CLITICS = {"'s", "’s", "n't", "'re", "'ve", "'ll", "'d", "'m", "'"}
_NO_SPACE_AFTER = {"(", "[", "$", "“", "‘", "#"}


@dataclass
class Doc:
    """One NewsWCL50 article: its text and the gold mentions of each actor concept."""

    name: str
    event: str
    outlet: str
    text: str = ""
    gold: dict[str, list[Span]] = field(default_factory=lambda: defaultdict(list))
    sentence_starts: set[int] = field(default_factory=set)


def _is_actor(chain: str) -> bool:
    return chain.endswith(ACTOR_KINDS) and not chain.endswith("-I")


def read_docs() -> list[Doc]:
    """The 50 articles, detokenised, with character spans of every actor mention."""
    path = need(DATA / "newswcl50" / "NewsWCL50.conll")
    docs: dict[str, Doc] = {}
    parts: dict[str, list[str]] = defaultdict(list)
    pos: dict[str, int] = defaultdict(int)
    open_: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    quote_open: dict[str, bool] = defaultdict(bool)
    last: dict[str, tuple[str, int]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        cols = line.split("\t")
        if len(cols) < 5 or line.startswith("#"):
            continue
        name, sent, token, chains = cols[0], cols[1], cols[3], cols[4]
        event, outlet = name.split("/")[0], name.rsplit("_", 1)[1]
        doc = docs.setdefault(name, Doc(name, event, outlet))
        text = "".join(parts[name])
        word = token.strip()
        prev_word, prev_sent = last.get(name, ("\n", -1))
        if not word:
            if "\\n" in token or "\n" in token:
                word = "\\n"
            else:
                continue
        if word == "\\n":
            parts[name].append("\n")
            pos[name] = len(text) + 1
            last[name] = ("\n", int(sent))
            continue
        glue = ""
        if text and not text.endswith("\n"):
            closing_quote = word == '"' and quote_open[name]
            if not (
                word in _NO_SPACE_BEFORE
                or word.lower() in _CLITICS
                or closing_quote
                or prev_word in _NO_SPACE_AFTER
                or (prev_word == '"' and quote_open[name])
                or word == "-"
                or prev_word == "-"
            ):
                glue = " "
        if word == '"':
            quote_open[name] = not quote_open[name]
        start = len(text) + len(glue)
        parts[name].append(glue + word)
        if int(sent) != prev_sent:
            doc.sentence_starts.add(start)
        last[name] = (word, int(sent))
        end = start + len(word)
        for mark in chains.split("|"):
            mark = mark.strip()
            if mark in ("", "-"):
                continue
            chain = mark.strip("()")
            if mark.startswith("("):
                open_[name][chain].append(start)
            if mark.endswith(")") and open_[name][chain]:
                begin = open_[name][chain].pop()
                if _is_actor(chain):
                    doc.gold[chain].append((begin, end))
    for name, doc in docs.items():
        doc.text = "".join(parts[name])
    return sorted(docs.values(), key=lambda d: d.name)


def _overlaps(x: Span, y: Span) -> bool:
    return min(x[1], y[1]) > max(x[0], y[0])


def _named(doc: Doc, span: Span) -> bool:
    """Does a gold mention hold a capitalised word that is not the first of its sentence?"""
    for m in re.finditer(r"\S+", doc.text[span[0] : span[1]]):
        start = span[0] + m.start()
        if m.group()[:1].isupper() and start not in doc.sentence_starts:
            return True
    return False


def _locate(text: str, descriptor: str, anchors: list[Span]) -> Span | None:
    """The occurrence of ``descriptor`` nearest one of the entity's mentions."""
    best: tuple[int, Span] | None = None
    for m in re.finditer(re.escape(descriptor), text):
        span = (m.start(), m.end())
        gap = min((max(0, a[0] - span[1], span[0] - a[1]) for a in anchors), default=len(text))
        if best is None or gap < best[0]:
            best = (gap, span)
    return best[1] if best else None


def _inside(inner: Span, outer: Span, text: str) -> bool:
    lead = len(text[inner[0] : inner[1]]) - len(text[inner[0] : inner[1]].lstrip(" ,;:"))
    return outer[0] <= inner[0] + lead and inner[1] <= outer[1]


def _compare_entities() -> Any:
    try:
        from storytrace.comparison import compare_entities
    except ImportError:  # commits before storytrace.compare was renamed
        from storytrace.compare import compare_entities  # type: ignore[no-redef]
    return compare_entities


def measure() -> dict[str, Any]:
    """Every figure of this benchmark for the storytrace importable here."""
    from storytrace.nlp.descriptors import descriptors_for
    from storytrace.nlp.entities import NAMED, entities_from_doc
    from storytrace.nlp.pipeline import parse

    compare_entities = _compare_entities()
    docs = read_docs()
    with Timer() as parsing:
        parsed = parse([d.text for d in docs])
    with Timer() as labelling:
        found = [
            [e for e in descriptors_for(p, entities_from_doc(p)) if e.label in NAMED]
            for p in parsed
        ]
    hits: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # attached, gold, named ...
    right = judged = unjudged = 0
    concept_entity: list[dict[str, Any]] = []
    table: list[dict[str, Any]] = []
    for doc, entities in zip(docs, found, strict=True):
        owner: dict[str, Any] = {}
        for concept, spans in doc.gold.items():
            counts = [
                sum(any(_overlaps(m.span, g) for m in e.mentions) for g in spans) for e in entities
            ]
            if counts and max(counts) > 0:
                owner[concept] = entities[counts.index(max(counts))]
        concept_entity.append(owner)
        located: dict[int, list[tuple[str, Span]]] = {}
        for entity in {id(e): e for e in owner.values()}.values():
            anchors = [m.span for m in entity.mentions]
            located[id(entity)] = [
                (d, s) for d in entity.descriptors if (s := _locate(doc.text, d, anchors))
            ]
        for concept, spans in doc.gold.items():
            key = f"{doc.event}:{concept}"
            entity = owner.get(concept)
            pieces = [m.span for m in entity.mentions] if entity else []
            pieces += [s for _, s in located.get(id(entity), [])] if entity else []
            for g in spans:
                attached = any(_overlaps(p, g) for p in pieces)
                hits[key][0] += attached
                hits[key][1] += 1
                if _named(doc, g):
                    hits[key][2] += attached
                    hits[key][3] += 1
        for entity in {id(e): e for e in owner.values()}.values():
            mine = [c for c, e in owner.items() if e is entity]
            gold = [g for c in mine for g in doc.gold[c]]
            for _, span in located[id(entity)]:
                judged += 1
                right += any(_inside(span, g, doc.text) for g in gold)
            unjudged += len(entity.descriptors) - len(located[id(entity)])
        unjudged += sum(
            len(e.descriptors) for e in entities if all(e is not o for o in owner.values())
        )
        if doc.event in TABLE_EVENTS:
            for concept, entity in owner.items():
                table.append(
                    {
                        "event": doc.event,
                        "concept": concept,
                        "outlet": doc.outlet,
                        "entity": entity.name,
                        "descriptors": list(entity.descriptors),
                        "gold_mentions": len(doc.gold[concept]),
                    }
                )
    pair_hits = pair_total = pair_right = pair_judged = 0
    by_event: dict[str, list[int]] = defaultdict(list)
    for n, doc in enumerate(docs):
        by_event[doc.event].append(n)
    for members in by_event.values():
        for i, j in combinations(members, 2):
            result = compare_entities(found[i], found[j])
            shared = {((x.name, x.label), (y.name, y.label)) for x, y in result.shared}
            ci, cj = concept_entity[i], concept_entity[j]
            for concept in ci.keys() & cj.keys():
                pair_total += 1
                x, y = ci[concept], cj[concept]
                pair_hits += ((x.name, x.label), (y.name, y.label)) in shared
            concepts_of_i = defaultdict(set)
            for c, e in ci.items():
                concepts_of_i[(e.name, e.label)].add(c)
            concepts_of_j = defaultdict(set)
            for c, e in cj.items():
                concepts_of_j[(e.name, e.label)].add(c)
            for x, y in shared:
                if concepts_of_i.get(x) and concepts_of_j.get(y):
                    pair_judged += 1
                    pair_right += bool(concepts_of_i[x] & concepts_of_j[y])
    all_recall = [a / g for a, g, _, _ in hits.values() if g]
    named_recall = [a / g for _, _, a, g in hits.values() if g]
    top = _top_concepts(docs)
    return {
        "articles": len(docs),
        "concepts": len(hits),
        "gold_mentions": sum(h[1] for h in hits.values()),
        "named_gold_mentions": sum(h[3] for h in hits.values()),
        "recall": round(sum(all_recall) / len(all_recall), 4),
        "micro_recall": round(
            sum(h[0] for h in hits.values()) / sum(h[1] for h in hits.values()), 4
        ),
        "named_recall": round(sum(named_recall) / len(named_recall), 4),
        "named_micro_recall": round(
            sum(h[2] for h in hits.values()) / sum(h[3] for h in hits.values()), 4
        ),
        "descriptor_precision": round(right / judged, 4) if judged else None,
        "descriptors_judged": judged,
        "descriptors_unjudged": unjudged,
        "pairing_recall": round(pair_hits / pair_total, 4) if pair_total else None,
        "pairing_precision": round(pair_right / pair_judged, 4) if pair_judged else None,
        "concept_pairs": pair_total,
        "parse_seconds": round(parsing.seconds, 1),
        "entities_and_descriptors_seconds": round(labelling.seconds, 2),
        "table": [r for r in table if r["concept"] in top[r["event"]]],
    }


def _top_concepts(docs: list[Doc]) -> dict[str, set[str]]:
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for doc in docs:
        for concept, spans in doc.gold.items():
            if not concept.endswith("_COUNTRY"):
                counts[doc.event][concept] += len(spans)
    return {
        event: set(sorted(c, key=lambda k: (-c[k], k))[:TABLE_CONCEPTS])
        for event, c in counts.items()
    }


def baseline(rev: str) -> dict[str, Any]:
    """``measure()`` on commit ``rev``, checked out in a temporary worktree outside the repo."""
    with tempfile.TemporaryDirectory(prefix="storytrace-baseline-") as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(tree), rev],
            check=True,
        )
        try:
            env = {**os.environ, "PYTHONPATH": str(tree / "src")}
            out = subprocess.run(
                [sys.executable, str(Path(__file__).resolve()), "--measure-only"],
                env=env,
                check=True,
                capture_output=True,
                text=True,
                cwd=str(Path(__file__).resolve().parent),
            ).stdout
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=True
            )
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--baseline", help="also measure this commit (e.g. 8c49cfc)")
    parser.add_argument("--measure-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_only:
        print(json.dumps(measure()))
        return
    figures: dict[str, Any] = {"storytrace": measure()}
    command = "python benchmarks/labels.py"
    if args.baseline:
        figures[f"baseline {args.baseline}"] = baseline(args.baseline)
        command += f" --baseline {args.baseline}"
    write_result("labels", figures, command)


if __name__ == "__main__":
    main()
