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

    bags_of         article -> its content-word counts and names (the one tokenising pass)
    term_counts_of  bags -> how many of them hold each term and name
    features_of     bag -> the article's TF-IDF vector and weighted names (in parallel)
    block_rows      features -> the article's block row, and a context copy for the next
    cluster_block   one block's rows, in time order -> each article's story in the block
    block_links     a block story's members with their home stories -> links to keep
    reuse_links     a pair with shared passages and both stories -> a link, if close in time
    assemble / members  a final story's members -> the story row and its member rows
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from storytrace.engine.tables import groups, rows
from storytrace.stories.cluster import (
    Bag,
    Features,
    StoryClusterer,
    StoryOptions,
    Vocabulary,
    bag_of,
    days_of,
    frequencies_of_bags,
    weigh,
)

CHARS_PER_WORD = 6.0  # an English word and its space, on average: passages count characters
DOCS_KEY = "\x01docs"  # counted once per article, so the vocabulary knows the corpus size
UNDATED = -1
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")


def bags_of(table: pa.Table, options: StoryOptions) -> dict[str, list[Any]]:
    """Stage: article -> its bag (content-word counts and names of title and head) with
    what naming a story needs. The one pass that tokenises: document frequencies and the
    TF-IDF vectors are both read from these rows."""
    plain = rows(table.select(["id", "title", "text", "published", "outlet"]))
    bags = [bag_of(r["title"], r["text"], options) for r in plain]
    when = [days_of(r["published"]) for r in plain]
    return {
        "id": [r["id"] for r in plain],
        "when": [w if w is not None else -1.0 for w in when],
        "published": [r["published"] for r in plain],
        "title": [r["title"] for r in plain],
        "lead": [_lead(r["text"]) for r in plain],
        "outlet": [r["outlet"] for r in plain],
        "bag_terms": [list(b.counts) for b in bags],
        "bag_counts": [list(b.counts.values()) for b in bags],
        "names": [sorted(b.names) for b in bags],
    }


def _bags(table: pa.Table) -> list[Bag]:
    return [
        Bag(dict(zip(terms, counts, strict=True)), frozenset(names))
        for terms, counts, names in zip(
            table.column("bag_terms").to_pylist(),
            table.column("bag_counts").to_pylist(),
            table.column("names").to_pylist(),
            strict=True,
        )
    ]


def term_counts_of(table: pa.Table, _: Any = None) -> dict[str, list[Any]]:
    """Stage: bags -> (term, number of the batch's articles holding it).

    Counted per batch before the engine sums them: a corpus has far fewer distinct terms
    per batch than term occurrences, so far fewer rows cross the shuffle.
    """
    counts = frequencies_of_bags(_bags(table))
    counts[DOCS_KEY] = table.num_rows
    terms = sorted(counts)
    return {"term": terms, "n": [counts[t] for t in terms]}


def vocabulary(counts: pa.Table, prior: int = 0) -> Vocabulary:
    """The summed ``term_counts_of``: what TF-IDF weights come from."""
    df = dict(zip(counts.column("term").to_pylist(), counts.column("n").to_pylist(), strict=True))
    n_docs = df.pop(DOCS_KEY, 0)
    return Vocabulary(df, n_docs, prior).pruned()


def _lead(text: str) -> str:
    first = next((line.strip() for line in text[:2000].split("\n") if line.strip()), "")
    return first[:400]


def features_of(table: pa.Table, shared: tuple[Vocabulary, StoryOptions]) -> dict[str, Any]:
    """Stage: bags -> what the clusterer knows of each article, as list columns."""
    vocab, options = shared
    ids, when = table.column("id").to_pylist(), table.column("when").to_pylist()
    feats = [
        weigh(article_id, w if w >= 0 else None, bag, vocab, options)
        for article_id, w, bag in zip(ids, when, _bags(table), strict=True)
    ]
    return {
        "id": ids,
        "when": when,
        "published": table.column("published").to_pylist(),
        "title": table.column("title").to_pylist(),
        "lead": table.column("lead").to_pylist(),
        "outlet": table.column("outlet").to_pylist(),
        "terms": [list(f.terms) for f in feats],
        "weights": [list(f.terms.values()) for f in feats],
        "names": [list(f.names) for f in feats],
        "name_weights": [list(f.names.values()) for f in feats],
        "embedding": [None] * len(feats),
    }


def embed_heads(table: pa.Table, _: Any = None) -> dict[str, list[Any]]:
    """Stage: (id, title, text) -> the sentence embedding of each title and lead."""
    from storytrace.embed import encode

    titles, texts = table.column("title").to_pylist(), table.column("text").to_pylist()
    heads = [f"{t}\n{' '.join(x.split()[:100])}" for t, x in zip(titles, texts, strict=True)]
    vectors = encode(heads)
    return {
        "id": table.column("id").to_pylist(),
        "embedding": [v.astype("float32").tolist() for v in vectors],
    }


def with_embedding(table: pa.Table, _: Any = None) -> pa.Table:
    """Stage: features with the joined embedding in place of the empty column."""
    kept = table.drop_columns(["embedding"])
    return kept.rename_columns(
        ["embedding" if n == "joined_embedding" else n for n in kept.column_names]
    )


def block_rows(table: pa.Table, options: StoryOptions) -> pa.Table:
    """Stage: features -> the row in the article's own block, plus a context copy for the
    next block when it falls in the last ``window_days`` of its block. Undated articles
    form one block of their own, in which they meet by content alone."""
    when = np.asarray(table.column("when").to_numpy(zero_copy_only=False), dtype=np.float64)
    dated = when >= 0
    block = np.where(
        dated, np.floor(np.where(dated, when, 0) / options.block_days), UNDATED
    ).astype(np.int64)
    own = table.append_column("block", pa.array(block)).append_column(
        "context", pa.array(np.zeros(len(when), bool))
    )
    edge = dated & (when >= (block + 1) * options.block_days - options.window_days)
    copies = table.filter(pa.array(edge))
    copies = copies.append_column("block", pa.array(block[edge] + 1)).append_column(
        "context", pa.array(np.ones(int(edge.sum()), bool))
    )
    return pa.concat_tables([own, copies])


def _features(row: dict[str, Any], options: StoryOptions) -> Features:
    embedding = row["embedding"]
    return Features(
        row["id"],
        row["when"] if row["when"] >= 0 else None,
        dict(zip(row["terms"], row["weights"], strict=True)),
        dict(zip(row["names"], row["name_weights"], strict=True)),
        np.asarray(embedding, dtype=np.float32)
        if embedding is not None and options.embedding_weight > 0
        else None,
    )


def cluster_block(table: pa.Table, options: StoryOptions) -> pa.Table:
    """Stage over groups of one block, ordered by (when, id): the streaming clusterer run
    on the block; each row gets the story it ended in ("<block>:<n>") and its join score."""
    pieces = []
    for group in groups(table, ["block"]):
        members = rows(
            group.select(
                ["block", "id", "when", "terms", "weights", "names", "name_weights", "embedding"]
            )
        )
        block = members[0]["block"]
        clusterer = StoryClusterer(options)
        for m in members:
            clusterer.add(_features(m, options))
        story_of: dict[str, tuple[str, float]] = {}
        for n, (ids, scores, _) in enumerate(clusterer.pop_closed() + clusterer.finish()):
            for article, score in zip(ids, scores, strict=True):
                story_of[article] = (f"{block}:{n}", float(score))
        placed = [story_of[m["id"]] for m in members]
        pieces.append(
            group.append_column(
                "story", pa.array([s for s, _ in placed], pa.string())
            ).append_column("score", pa.array([x for _, x in placed], pa.float64()))
        )
    return pa.concat_tables(pieces) if pieces else table.slice(0, 0)


def own_rows(table: pa.Table, _: Any = None) -> pa.Table:
    """Stage: the rows of articles in their own block (not the context copies)."""
    return table.filter(pc.invert(table.column("context")))


def member_rows(table: pa.Table, _: Any = None) -> pa.Table:
    """Stage: an article's final story with what naming the story needs."""
    return table.select(
        ["component", "id", "score", "published", "outlet", "title", "lead", "terms", "weights"]
    )


def story_profiles(table: pa.Table, terms: int) -> list[dict[str, Any]]:
    """Stage over groups of one block story, ordered by id: the story's profile, the
    ``terms`` heaviest terms of its members' summed vectors, normalised; one row a term.
    Undated stories are matched against dated ones by these (``undated_links``)."""
    out: list[dict[str, Any]] = []
    for group in groups(table, ["story"]):
        story = group.column("story")[0].as_py()
        dated = bool(group.column("block")[0].as_py() != UNDATED)
        total: Counter[str] = Counter()
        for row_terms, row_weights in zip(
            group.column("terms").to_pylist(), group.column("weights").to_pylist(), strict=True
        ):
            for term, weight in zip(row_terms, row_weights, strict=True):
                total[term] += weight
        top = sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))[:terms]
        norm = math.sqrt(math.fsum(w * w for _, w in top)) or 1.0
        out += [{"story": story, "dated": dated, "term": t, "weight": w / norm} for t, w in top]
    return out


def dated_profiles(table: pa.Table, _: Any = None) -> pa.Table:
    return table.filter(table.column("dated"))


def undated_profiles(table: pa.Table, _: Any = None) -> pa.Table:
    return table.filter(pc.invert(table.column("dated")))


def rare_profile_terms(table: pa.Table, max_stories: int) -> pa.Table:
    """Stage: dated profile rows whose term at most ``max_stories`` dated stories share (a
    term in every story says nothing about which one an undated story belongs to)."""
    return table.filter(pc.less_equal(table.column("n"), max_stories))


def undated_links(table: pa.Table, threshold: float) -> dict[str, list[str]]:
    """Stage over groups of one undated story, ordered by the dated story: a link to the
    dated story whose profile is closest (cosine of the profiles over their shared terms),
    when that reaches ``threshold``; ties go to the smaller story id."""
    src, dst = [], []
    for group in groups(table, ["story"]):
        dots: Counter[str] = Counter()
        for other, a, b in zip(
            group.column("other").to_pylist(),
            group.column("weight").to_pylist(),
            group.column("other_weight").to_pylist(),
            strict=True,
        ):
            dots[other] += a * b
        if not dots:
            continue
        best = max(sorted(dots), key=dots.__getitem__)
        if dots[best] >= threshold:
            src.append(group.column("story")[0].as_py())
            dst.append(best)
    return {"src": src, "dst": dst}


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


def reuse_strength(table: pa.Table, shared: tuple[int, float]) -> dict[str, list[Any]]:
    """Stage over groups of one (a_id, b_id) pair of passages: the pair and the characters
    its passages cover in the source, when that reaches ``min_chars``."""
    min_chars, _ = shared
    left, right, covered = [], [], []
    for group in groups(table, ["a_id", "b_id"]):
        starts, ends = group.column("a_start").to_pylist(), group.column("a_end").to_pylist()
        chars = sum(e - s for s, e in zip(starts, ends, strict=True))
        if chars >= min_chars:
            left.append(group.column("a_id")[0].as_py())
            right.append(group.column("b_id")[0].as_py())
            covered.append(chars)
    return {"a": left, "b": right, "chars": covered}


def reuse_links(table: pa.Table, shared: tuple[float, float]) -> dict[str, list[str]]:
    """Stage: a reuse pair with both stories, dates and lengths -> a link between the two
    stories when the shared passages are a real part of the shorter article (at least
    ``share`` of it: a recycled background paragraph is not a copy of the story) and the
    two are not both dated and further apart than ``window_days``."""
    window_days, share = shared
    src, dst = [], []
    for r in rows(table):
        a, b = r["when_a"], r["when_b"]
        if a is not None and b is not None and a >= 0 and b >= 0 and abs(a - b) > window_days:
            continue
        shorter = min(r["words_a"] or 0, r["words_b"] or 0)
        if r["chars"] < share * CHARS_PER_WORD * shorter:
            continue
        src.append(r["story_a"])
        dst.append(r["story_b"])
    return {"src": src, "dst": dst}


def story_id(first_article: str) -> str:
    """A story is named after its earliest article, so its id outlives a rebuild."""
    return f"s{first_article[:12]}"


def headline(title: str | None, lead: str) -> str:
    """The earliest article's title; else its first line, or its first sentence if the
    line is long; never empty and never an id."""
    if title and title.strip():
        return title.strip()
    first = lead.strip()
    if len(first) > 120:
        first = _SENTENCE_END.split(first, maxsplit=1)[0]
        if len(first) > 120:
            first = first[:117].rsplit(" ", 1)[0] + "…"
    return first or "(untitled)"


def keywords(members: list[dict[str, Any]], n: int = 6) -> list[str]:
    """The terms that weigh most in the sum of the members' TF-IDF vectors (ties by term)."""
    total: Counter[str] = Counter()
    for m in members:
        for term, weight in zip(m["terms"], m["weights"], strict=True):
            total[term] += weight
    return [t for t, _ in sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]


def assemble(table: pa.Table, _: Any = None) -> list[dict[str, Any]]:
    """Stage over groups of one final story, ordered by (published, id), nulls last: the
    story row (id, headline, keywords, dates, outlets, members in time order)."""
    out = []
    for group in groups(table, ["component"]):
        members = rows(group)
        first = members[0]
        dates = [m["published"] for m in members if m["published"]]
        out.append(
            {
                "id": story_id(first["id"]),
                "headline": headline(first["title"], first["lead"] or ""),
                "keywords": keywords(members),
                "first": dates[0] if dates else None,
                "last": dates[-1] if dates else None,
                "size": len(members),
                "outlets": list(dict.fromkeys(m["outlet"] for m in members if m["outlet"])),
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
