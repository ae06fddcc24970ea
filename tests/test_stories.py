"""The story clusterer on hand-made feature vectors: candidates, refinement, time, broadcast."""

from __future__ import annotations

import functools
import math

from storytrace.engine import run_stage
from storytrace.stories.cluster import (
    Features,
    StoryClusterer,
    StoryOptions,
    Vocabulary,
    document_frequencies,
    featurize,
)

LEXICAL = StoryOptions(threshold=0.2, name_weight=0.0, min_vote_share=0.0)


def unit(**weights: float) -> dict[str, float]:
    norm = math.sqrt(sum(w * w for w in weights.values()))
    return dict(sorted(((t, w / norm) for t, w in weights.items()), key=lambda kv: -kv[1]))


def feature(article_id: str, when: float | None = None, **weights: float) -> Features:
    return Features(article_id, when, unit(**weights), {})


def groups_of(features: list[Features], options: StoryOptions) -> list[set[str]]:
    clusterer = StoryClusterer(options)
    for f in features:
        clusterer.add(f)
    return [set(members) for members, _, _ in clusterer.finish()]


# "m" ties between the p-story and the q-story when it arrives, so it goes to the first;
# the q-articles after it share its term r, which only a second look can take into account.
ORDER_TRAP = [
    feature("x1", p=1.0),
    feature("y1", q=1.0),
    feature("m", p=0.5, q=0.5, r=0.7071),
    feature("y2", q=0.7, r=0.714),
    feature("y3", q=0.7, r=0.714),
]


def test_greedy_placement_is_fooled_by_order():
    groups = groups_of(ORDER_TRAP, StoryOptions(**{**_fields(LEXICAL), "refine_rounds": 0}))
    assert {"x1", "m"} in groups


def test_refinement_moves_the_article_to_the_story_it_now_fits():
    groups = groups_of(ORDER_TRAP, LEXICAL)
    assert {"y1", "m", "y2", "y3"} in groups
    assert {"x1"} in groups


def test_refinement_is_deterministic_and_keeps_every_article_once():
    first = groups_of(ORDER_TRAP, LEXICAL)
    assert first == groups_of(ORDER_TRAP, LEXICAL)
    ids = [i for g in first for i in g]
    assert sorted(ids) == sorted(f.id for f in ORDER_TRAP)


def test_article_is_scored_against_a_bounded_number_of_stories():
    options = StoryOptions(threshold=0.9, name_weight=0.0, max_candidates=5, max_postings=1000)
    clusterer = CountingClusterer(options)
    # 50 stories, all sharing the term "common" but each with its own term
    for n in range(50):
        clusterer.add(feature(f"s{n}", common=0.3, **{f"own{n}": 1.0}))
    clusterer.fits = 0
    clusterer.add(feature("new", common=1.0))
    assert 0 < clusterer.fits <= 5


def test_a_term_held_by_too_many_open_stories_finds_no_candidates():
    options = StoryOptions(threshold=0.9, name_weight=0.0, max_postings=10)
    clusterer = CountingClusterer(options)
    for n in range(20):
        clusterer.add(feature(f"s{n}", common=0.3, **{f"own{n}": 1.0}))
    clusterer.fits = 0
    clusterer.add(feature("new", common=1.0))
    assert clusterer.fits == 0


def test_stories_close_after_the_window_and_same_words_later_open_a_new_story():
    options = StoryOptions(**{**_fields(LEXICAL), "window_days": 3.0})
    early = [feature(f"e{n}", when=100.0 + n * 0.1, quake=1.0, town=0.5) for n in range(3)]
    late = [feature(f"l{n}", when=120.0 + n * 0.1, quake=1.0, town=0.5) for n in range(3)]
    groups = groups_of(early + late, options)
    assert {"e0", "e1", "e2"} in groups and {"l0", "l1", "l2"} in groups


def test_closed_stories_are_handed_over_early_and_match_holding_them_all():
    # a new two-article story every three days, each idle long before the corpus ends
    timeline = [
        feature(f"a{day}-{k}", when=float(day) + k / 10, **{f"w{day}": 1.0, "common": 0.2})
        for day in range(0, 60, 3)
        for k in range(2)
    ]
    options = StoryOptions(**{**_fields(LEXICAL), "window_days": 2.0})
    streaming = StoryClusterer(options)
    popped, most_open = [], 0
    for f in timeline:
        streaming.add(f)
        popped += streaming.pop_closed()
        most_open = max(most_open, len(streaming.open))
    assert len(popped) >= 15  # closed stories left before the end, not all at finish
    assert most_open <= 3  # memory holds the open stories only
    popped += streaming.finish()
    assert streaming.pop_closed() == [] and not streaming.open
    assert [set(m) for m, _, _ in popped] == groups_of(timeline, options)


def test_featurize_through_the_pool_with_a_broadcast_vocabulary_matches_in_process():
    batch = [
        (f"a{i}", f"Flood in Valdora {i}", f"The river Sella rose {i} metres near Valdora.", None)
        for i in range(12)
    ]
    vocabulary = Vocabulary(document_frequencies(batch), len(batch))
    stage = functools.partial(featurize, options=StoryOptions())
    batches = [batch[i : i + 3] for i in range(0, 12, 3)]
    local = [f for out in run_stage(stage, batches, workers=1, shared=vocabulary) for f in out]
    pooled = [f for out in run_stage(stage, batches, workers=2, shared=vocabulary) for f in out]
    assert [(f.id, f.terms, f.names) for f in local] == [(f.id, f.terms, f.names) for f in pooled]
    assert "valdora" in local[0].names


def test_rare_names_count_more_than_common_ones():
    batch = [("a", "Talks with Kim", "The envoy Pompeo met Kim in Pyongyang.", None)] + [
        (f"b{i}", "Speech by Kim", f"On day {i} the leader Kim spoke.", None) for i in range(9)
    ]
    vocabulary = Vocabulary(document_frequencies(batch), len(batch))
    names = featurize(batch[:1], vocabulary)[0].names
    assert names["pompeo"] > names["kim"]


class CountingClusterer(StoryClusterer):
    fits = 0

    def fit(self, f: Features, story, own: bool = False) -> float:  # type: ignore[no-untyped-def]
        self.fits += 1
        return super().fit(f, story, own)


def _fields(options: StoryOptions) -> dict[str, object]:
    return {name: getattr(options, name) for name in options.__dataclass_fields__}


def test_the_one_tokenising_pass_gives_the_frequencies_and_vectors_of_two_passes():
    import pyarrow as pa

    from storytrace.pipeline import schemas
    from storytrace.stories import stages

    texts = [
        ("Flood in Valdora", "The river Sella rose two metres near Valdora. Mayor Brask spoke."),
        ("Sella floods again", "Valdora and Eastmarch were cut off as the Sella rose."),
        ("", "Talks in Orlen ended without a deal, said the envoy Reinholt."),
    ]
    batch = [(f"a{i}", t, x, f"2026-03-0{i + 1}") for i, (t, x) in enumerate(texts)]
    table = pa.Table.from_pylist(
        [{"id": i, "title": t, "text": x, "published": p, "outlet": "Wire"} for i, t, x, p in batch]
    )
    bags = pa.Table.from_pydict(stages.bags_of(table, StoryOptions()), schema=schemas.BAGS)
    counts = pa.Table.from_pydict(stages.term_counts_of(bags), schema=schemas.TERM_COUNTS)
    vocabulary = stages.vocabulary(counts, prior=300)
    assert dict(vocabulary.df) == {k: c for k, c in document_frequencies(batch).items() if c > 1}
    assert vocabulary.n_docs == 3
    features = stages.features_of(bags, (vocabulary, StoryOptions()))
    expected = featurize(batch, vocabulary)
    assert features["id"] == [f.id for f in expected]
    assert features["when"] == [f.when for f in expected]
    assert [
        dict(zip(t, w, strict=True))
        for t, w in zip(features["terms"], features["weights"], strict=True)
    ] == [f.terms for f in expected]
    assert [
        dict(zip(n, w, strict=True))
        for n, w in zip(features["names"], features["name_weights"], strict=True)
    ] == [f.names for f in expected]
    assert "valdora" in features["names"][0] and "sella" in features["terms"][1]
