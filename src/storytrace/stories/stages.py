"""Story clustering as corpus stages that a cluster can run in parallel.

The streaming clusterer (``cluster.StoryClusterer``) reads articles in time order, so one
process would have to see the whole corpus. Instead time is cut into blocks of
``block_days``; each block is clustered on its own, in parallel, with the articles of the
last ``window_days`` of the block before copied in as context. Those copies are how a
story crosses a block boundary: a story of block k+1 that took in context articles is
linked to the block-k story that holds most of them. Articles that share reused passages
are linked too (a wire story and its rewrite belong together unless their dates are far
apart). The engine's connected components over these links give the final stories, and
``assemble`` names each one after its earliest article.

    term_rows      article -> its distinct terms and names (for document frequencies)
    block_rows     article -> its block row, plus a context copy for the next block
    cluster_block  one block's rows, in time order -> each article's story in the block
    block_links    a block story's members with their home stories -> links to keep
    reuse_links    a pair with shared passages and both stories -> a link, if close in time
    assemble / members  a final story's members -> the story row and its member rows
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from storytrace.engine.tables import groups, rows
from storytrace.stories.cluster import (
    StoryClusterer,
    StoryOptions,
    Vocabulary,
    _days,
    document_frequencies,
    featurize,
    term_counts,
)

DOCS_KEY = "\x01docs"  # counted once per article, so the vocabulary knows the corpus size
UNDATED = -1
_TOKEN = re.compile(r"\S+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")


def head_of(text: str, words: int) -> str:
    """The start of ``text`` that holds its first ``words`` words, line breaks kept.

    Twice as many whitespace-separated tokens are kept as the clusterer reads words, since
    a token such as "—" holds none of its words and "al-Muhandis" two.
    """
    end = 0
    for count, match in enumerate(_TOKEN.finditer(text), 1):
        end = match.end()
        if count >= 2 * words:
            break
    return text[:end]


def term_rows(table: pa.Table, options: StoryOptions) -> dict[str, list[str]]:
    """Stage: (id, title, text) -> every distinct term and name of each article's head."""
    batch = [
        (None, t, x, None)
        for t, x in zip(
            table.column("title").to_pylist(), table.column("text").to_pylist(), strict=True
        )
    ]
    terms: list[str] = []
    for row in batch:
        terms += sorted(document_frequencies([row], options))
        terms.append(DOCS_KEY)
    return {"term": terms}


def vocabulary(counts: pa.Table) -> Vocabulary:
    """The document frequencies of ``term_rows`` counted: what TF-IDF weights come from."""
    df = dict(zip(counts.column("term").to_pylist(), counts.column("n").to_pylist(), strict=True))
    n_docs = df.pop(DOCS_KEY, 0)
    return Vocabulary(df, n_docs).pruned()


def block_rows(table: pa.Table, options: StoryOptions) -> list[dict[str, Any]]:
    """Stage: article -> its row in its own block, and a context copy for the next block
    when it falls in the last ``window_days`` of its block. Undated articles form one
    block of their own, in which they meet by content alone."""
    out: list[dict[str, Any]] = []
    for r in rows(table.select(["id", "title", "text", "published", "outlet"])):
        when = _days(r["published"])
        head = head_of(r["text"], options.head_words)
        base = {
            "id": r["id"],
            "title": r["title"],
            "head": head,
            "published": r["published"],
            "outlet": r["outlet"],
        }
        if when is None:
            out.append({**base, "block": UNDATED, "context": False, "when": -1.0})
            continue
        block = math.floor(when / options.block_days)
        out.append({**base, "block": block, "context": False, "when": when})
        if when >= (block + 1) * options.block_days - options.window_days:
            out.append({**base, "block": block + 1, "context": True, "when": when})
    return out


def cluster_block(table: pa.Table, shared: tuple[Vocabulary, StoryOptions]) -> list[dict[str, Any]]:
    """Stage over groups of one block, ordered by (when, id): the streaming clusterer run
    on the block, each row with the story it ended in ("<block>:<n>") and its join score."""
    vocab, options = shared
    out: list[dict[str, Any]] = []
    for group in groups(table, ["block"]):
        members = rows(group)
        block = members[0]["block"]
        feats = featurize(
            [(m["id"], m["title"], m["head"], m["published"]) for m in members], vocab, options
        )
        clusterer = StoryClusterer(options)
        for f in feats:
            clusterer.add(f)
        stories = clusterer.pop_closed() + clusterer.finish()
        story_of: dict[str, tuple[str, float]] = {}
        for n, (ids, scores, _) in enumerate(stories):
            for article, score in zip(ids, scores, strict=True):
                story_of[article] = (f"{block}:{n}", score)
        for m in members:
            story, score = story_of[m["id"]]
            out.append({**m, "story": story, "score": float(score)})
    return out


def own_rows(table: pa.Table, _: Any = None) -> pa.Table:
    """Stage: the rows of articles in their own block (not the context copies)."""
    return table.filter(pc.invert(table.column("context")))


def member_rows(table: pa.Table, _: Any = None) -> pa.Table:
    """Stage: an article's final story with what naming the story needs."""
    return table.select(["component", "id", "score", "published", "outlet", "title", "head"])


def block_links(table: pa.Table, _: Any = None) -> dict[str, list[str]]:
    """Stage over groups of one block story, ordered by (context, id), each row carrying
    the ``home`` story of its article: a story with an article of its own keeps itself
    and, when it took in context copies, links to the home story holding most of them
    (ties to the smaller id). Linking to one story only means a block can continue a
    story of the block before but never merge two of them."""
    src: list[str] = []
    dst: list[str] = []
    for group in groups(table, ["story"]):
        story = group.column("story")[0].as_py()
        flags = group.column("context").to_pylist()
        if all(flags):
            continue  # only copies: the block before has these articles already
        src.append(story)
        dst.append(story)
        homes = Counter(
            h for h, c in zip(group.column("home").to_pylist(), flags, strict=True) if c and h
        )
        if homes:
            best = max(sorted(homes), key=homes.__getitem__)
            src.append(story)
            dst.append(best)
    return {"src": src, "dst": dst}


def reuse_strength(table: pa.Table, min_chars: int) -> dict[str, list[str]]:
    """Stage over groups of one (a_id, b_id) pair of passages: the pair, when its passages
    cover at least ``min_chars`` characters of the source (a shared dateline is not a
    story, a shared paragraph is)."""
    left, right = [], []
    for group in groups(table, ["a_id", "b_id"]):
        covered = sum(
            e - s
            for s, e in zip(
                group.column("a_start").to_pylist(), group.column("a_end").to_pylist(), strict=True
            )
        )
        if covered >= min_chars:
            left.append(group.column("a_id")[0].as_py())
            right.append(group.column("b_id")[0].as_py())
    return {"a": left, "b": right}


def reuse_links(table: pa.Table, window_days: float) -> dict[str, list[str]]:
    """Stage: (story_a, when_a, story_b, when_b) of a reuse pair -> a link between the two
    stories, unless both are dated and further apart than ``window_days``."""
    src, dst = [], []
    for r in rows(table):
        a, b = r["when_a"], r["when_b"]
        if a is not None and b is not None and a >= 0 and b >= 0 and abs(a - b) > window_days:
            continue
        src.append(r["story_a"])
        dst.append(r["story_b"])
    return {"src": src, "dst": dst}


def story_id(first_article: str) -> str:
    """A story is named after its earliest article, so its id outlives a rebuild."""
    return f"s{first_article[:12]}"


def headline(title: str | None, head: str) -> str:
    """The earliest article's title; else its first line, or its first sentence if the
    line is long; never empty and never an id."""
    if title and title.strip():
        return title.strip()
    first = next((line.strip() for line in head.split("\n") if line.strip()), "")
    if len(first) > 120:
        first = _SENTENCE_END.split(first, maxsplit=1)[0]
        if len(first) > 120:
            first = first[:117].rsplit(" ", 1)[0] + "…"
    return first or "(untitled)"


def assemble(table: pa.Table, shared: tuple[Vocabulary, StoryOptions]) -> list[dict[str, Any]]:
    """Stage over groups of one final story, ordered by (published, id), nulls last: the
    story row (id, headline, keywords, dates, outlets, members in time order)."""
    vocab, options = shared
    out = []
    for group in groups(table, ["component"]):
        members = rows(group)
        first = members[0]
        dates = [m["published"] for m in members if m["published"]]
        outlets = list(dict.fromkeys(m["outlet"] for m in members if m["outlet"]))
        out.append(
            {
                "id": story_id(first["id"]),
                "headline": headline(first["title"], first["head"]),
                "keywords": keywords(members, vocab, options),
                "first": dates[0] if dates else None,
                "last": dates[-1] if dates else None,
                "size": len(members),
                "outlets": outlets,
                "members": [m["id"] for m in members],
            }
        )
    return out


def members(table: pa.Table, _: Any = None) -> list[dict[str, Any]]:
    """Stage over groups of one final story, ordered as ``assemble``'s: its member rows."""
    out = []
    for group in groups(table, ["component"]):
        ids = group.column("id").to_pylist()
        name = story_id(ids[0])
        for position, (article, score) in enumerate(
            zip(ids, group.column("score").to_pylist(), strict=True)
        ):
            out.append(
                {"story_id": name, "article_id": article, "position": position, "score": score}
            )
    return out


def keywords(
    members: list[dict[str, Any]], vocab: Vocabulary, options: StoryOptions, n: int = 6
) -> list[str]:
    """The terms that weigh most in the story's summed TF-IDF vectors (ties by term)."""
    total: Counter[str] = Counter()
    for m in members:
        counts = term_counts(m["title"] or "", m["head"], options.head_words)
        for term, count in counts.items():
            total[term] += (1.0 + math.log(count)) * vocab.idf(term)
    ranked = sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))
    return [t for t, _ in ranked[:n]]
