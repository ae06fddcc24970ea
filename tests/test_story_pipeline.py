"""The story job as it runs on a corpus: blocks, links across them, evidence that holds in
tiny corpora, headlines, and the seed pair."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq

from conftest import SAMPLE, analyse_store
from storytrace import corpus
from storytrace.engine.local import LocalEngine
from storytrace.pipeline.jobs import RunOptions
from storytrace.pipeline.run import run
from storytrace.store.db import Store
from storytrace.stories.stages import headline, story_id


def _run(folder: Path, records: list[dict], name: str = "out") -> dict[str, list[dict]]:
    inputs = folder / f"{name}-in"
    inputs.mkdir(parents=True)
    (inputs / "records.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    out = folder / name
    run(LocalEngine(out / "_work", out, workers=1), [str(inputs)], RunOptions(quotes=False))
    return {t: pq.read_table(out / t).to_pylist() for t in ("articles", "stories", "story_members")}


FLOOD = (
    "Flood water from the River Sella reached the old town of Valdora on {day}, and the "
    "mayor Helena Brask ordered {n} families to leave the riverside streets near the bridge."
)
# the same event in other words: no passage is shared, so only the words can tie them
REWORDED = (
    "On Monday the mayor of Valdora, Helena Brask, told riverside families by the bridge to "
    "go as the Sella flood water poured into the old town; about 300 households were moved."
)
FIRE = (
    "A fire at the timber yard in Port Lisker burned through the night of {day}; crews from "
    "Torvane kept it from the warehouses and the harbour master closed the north quay."
)


def test_two_reports_of_one_event_are_one_story_even_alone():
    """Plain idf gives the words two articles share a weight of log(3/3) = 0: the prior of
    background documents keeps a two-article corpus from losing all its evidence."""
    records = [
        {"id": "a", "title": "Valdora evacuated", "text": FLOOD.format(day="Monday", n=300)},
        {"id": "b", "title": "Families leave Valdora", "text": REWORDED},
    ]
    tables = _run_folder(records)
    assert len(tables["stories"]) == 1


def _run_folder(records: list[dict]) -> dict[str, list[dict]]:
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        return _run(Path(scratch), records)


def test_two_different_events_stay_apart_in_a_tiny_corpus():
    records = [
        {"id": "a", "title": "Valdora evacuated", "text": FLOOD.format(day="Monday", n=300)},
        {"id": "b", "title": "Timber yard fire", "text": FIRE.format(day="Monday")},
    ]
    assert len(_run_folder(records)["stories"]) == 2


def test_an_undated_report_joins_its_dated_story_by_content(tmp_path):
    dated = [
        {
            "id": f"d{i}",
            "title": f"Sella flood day {i}",
            "published": f"2026-03-0{i + 2}",
            "text": FLOOD.format(day=day, n=100 * (i + 1)) + f" Update {i}.",
        }
        for i, day in enumerate(["Monday", "Tuesday", "Wednesday"])
    ]
    fire = [
        {
            "id": f"f{i}",
            "title": f"Port Lisker fire {i}",
            "published": f"2026-03-0{i + 2}",
            "text": FIRE.format(day=day) + f" Note {i}.",
        }
        for i, day in enumerate(["Monday", "Tuesday"])
    ]
    undated = {
        "id": "u",
        "title": "Valdora families leave the river",
        "text": FLOOD.format(day="the night", n=450) + " Later.",
    }
    tables = _run(tmp_path, [*dated, *fire, undated])
    story_of = {m["article_id"]: m["story_id"] for m in tables["story_members"]}
    ids = {a["record_id"]: a["id"] for a in tables["articles"]}
    assert story_of[ids["u"]] == story_of[ids["d0"]] == story_of[ids["d2"]]
    assert story_of[ids["f0"]] != story_of[ids["d0"]]


def test_story_ids_are_named_after_the_earliest_article_and_survive_a_rebuild(tmp_path):
    with Store.open(tmp_path / "s.db") as store:
        files, _ = corpus.expand_paths([str(SAMPLE / "corpus")])
        corpus.ingest(store, files)
        analyse_store(store, ("stories",))
        first = {s.id: s.article_ids for s in store.stories()}
        analyse_store(store, ("stories",))
        again = {s.id: s.article_ids for s in store.stories()}
    assert first == again
    for sid, members in first.items():
        assert sid == story_id(members[0])


def test_a_headline_is_never_an_id():
    assert (
        headline("", "Flood water reached Valdora on Monday.")
        == "Flood water reached Valdora on Monday."
    )
    long = "Flood water " + "reached the town " * 20 + ". Then more."
    assert len(headline(None, long)) <= 120 and headline(None, long).startswith("Flood water")
    assert headline("  ", "") == "(untitled)"


def test_the_seed_pair_is_one_story_alone_and_with_the_sample_corpus(seed_pair, tmp_path):
    for name, paths in (
        ("alone", [str(p) for p in seed_pair]),
        ("with-sample", [*map(str, seed_pair), str(SAMPLE / "corpus")]),
    ):
        with Store.open(tmp_path / f"{name}.db") as store:
            files, _ = corpus.expand_paths(paths)
            corpus.ingest(store, files)
            analyse_store(store)
            seeds = {
                a.id
                for batch in store.iter_articles()
                for a in batch
                if a.source and "seeds" in a.source
            }
            stories = [s for s in store.stories() if seeds & set(s.article_ids)]
            assert len(seeds) == 2 and len(stories) == 1, name
            assert (
                stories[0].headline and not stories[0].headline.startswith(("s", "0"))
            ) or " " in stories[0].headline
