"""Old story ids: a rebuild keeps every replaced id, and the web answers it with a 308 to the
story that now holds the old story's earliest article (404 for an id never seen)."""

from __future__ import annotations

import json

import pytest

from conftest import SAMPLE, analyse_store
from storytrace import corpus
from storytrace.store.db import Store

WIRE = SAMPLE / "corpus" / "meridianwire.example" / "wire.jsonl"


def _early_copy(folder):
    """A copy of the Valdora wire story published two hours before it: it joins that story
    and, being earliest, renames it."""
    record = json.loads(WIRE.read_text("utf-8").splitlines()[1])
    text = record["text"] + "\n\nAn early edition of this report."
    path = folder / "early.jsonl"
    row = {"outlet": "Early Bird", "title": "Valdora: river rising", "text": text}
    row["published"] = "2026-03-03T06:10:00+01:00"
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory):
    """A store whose stories were built, then rebuilt after an earlier copy joined one:
    (db, ids before, ids after, the renamed story's old id, its new id)."""
    folder = tmp_path_factory.mktemp("aliases")
    db = folder / "aliases.db"
    with Store.open(db) as store:
        files, _ = corpus.expand_paths([str(SAMPLE / "corpus")])
        corpus.ingest(store, files)
        analyse_store(store)
        before = {s.id: s for s in store.stories()}
        corpus.ingest(store, [_early_copy(folder)])
        early = next(
            i for i, m in store.meta_of(store.article_ids()).items() if m.outlet == "Early Bird"
        )
        analyse_store(store)
        after = {s.id: s for s in store.stories()}
        new = store.article_story(early)
    old = next(sid for sid, s in before.items() if s.article_ids[0] in after[new].article_ids)
    return db, before, after, old, new


def test_a_rebuild_that_renames_a_story_keeps_the_old_id(rebuilt):
    db, before, after, old, new = rebuilt
    assert old != new and old in before and old not in after and new == after[new].id
    with Store.open_read_only(db) as store:
        assert store.story_alias(old) == new
        assert before[old].article_ids[0] in store.story(new).article_ids
        for sid in set(before) & set(after):  # unchanged stories keep their id, need no alias
            assert store.story_alias(sid) is None
        assert store.story_alias("s000000000000") is None


def test_old_ids_redirect_on_the_web_and_unknown_ones_are_404(rebuilt):
    from fastapi.testclient import TestClient

    from storytrace.web.app import create_app

    db, _, _, old, new = rebuilt
    client = TestClient(create_app(db), follow_redirects=False)
    page = client.get(f"/story/{old}", params={"page": 1})
    assert page.status_code == 308 and page.headers["location"] == f"/story/{new}?page=1"
    api = client.get(f"/api/stories/{old}")
    assert api.status_code == 308 and api.headers["location"] == f"/api/stories/{new}"
    assert "Content-Security-Policy" in api.headers  # a redirect is a response like any other
    followed = TestClient(create_app(db)).get(f"/api/stories/{old}")
    assert followed.status_code == 200 and followed.json()["story"]["id"] == new
    assert client.head(f"/story/{old}").status_code == 308
    for path in ("/story/s000000000000", "/api/stories/s000000000000"):
        assert client.get(path).status_code == 404, path
    assert client.get(f"/story/{new}").status_code == 200


def test_ids_of_an_older_store_lead_to_the_stories_holding_their_first_article(tmp_path):
    """Stores once named stories by a hash of their members: after a rebuild each such id
    leads to the story holding its earliest member, however many rebuilds later."""
    db = tmp_path / "hashed.db"
    with Store.open(db) as store:
        files, _ = corpus.expand_paths([str(SAMPLE / "corpus")])
        corpus.ingest(store, files)
        analyse_store(store)
        current = store.stories()
        hashed = {f"h{n:012x}": s for n, s in enumerate(current)}
        with store.transaction():  # the same stories under member-hash names
            store.replace_story_rows(
                ({**_row(s), "id": name} for name, s in hashed.items()),
                (
                    {"story_id": name, "article_id": a, "score": 1.0}
                    for name, s in hashed.items()
                    for a in s.article_ids
                ),
            )
        for _ in range(2):  # rebuilt twice: the aliases follow the articles each time
            analyse_store(store, ("stories",))
        for name, story in hashed.items():
            assert store.story_alias(name) == store.article_story(story.article_ids[0]), name
        live = {s.id for s in store.stories()}
        rows = store.conn.execute("SELECT old_id, new_id FROM story_aliases").fetchall()
        assert {old for old, _ in rows} == set(hashed)  # a live id is never an alias
        assert {new for _, new in rows} <= live


def _row(story) -> dict:
    return {
        "headline": story.headline,
        "keywords": list(story.keywords),
        "first": story.first,
        "last": story.last,
        "size": len(story.article_ids),
        "members": list(story.article_ids),
        "outlets": list(story.outlets),
    }


def test_the_aliases_table_comes_with_the_upgrade(tmp_path):
    from storytrace.store.schema import VERSION

    db = tmp_path / "v10.db"
    with Store.open(db) as store:  # what a version-10 store held: no aliases, no quotes.via
        store.conn.execute("DROP TABLE story_aliases")
        store.conn.execute("ALTER TABLE quotes DROP COLUMN via")
        store.conn.execute("PRAGMA user_version=10")
    with Store.open(db) as store:
        assert store.schema_version == VERSION
        assert store.story_alias("s1") is None
        columns = [r[1] for r in store.conn.execute("PRAGMA table_info(story_aliases)")]
    assert columns == ["old_id", "article_id", "new_id"]


def test_quotes_stored_before_via_existed_read_back_without_it(tmp_path):
    from storytrace.store.schema import VERSION

    db = tmp_path / "v11.db"
    with Store.open(db) as store:
        store.conn.execute("ALTER TABLE quotes DROP COLUMN via")
        store.conn.execute(
            "INSERT INTO articles (id, text, words, ingested_at)"
            " VALUES ('a1', 'Officials said the port would close.', 6, '2026-12-02T00:00:00Z')"
        )
        store.conn.execute(
            "INSERT INTO quotes VALUES ('a1', 15, 36, 'the port would close', 'Officials',"
            " NULL, 'said', 0)"
        )
        store.conn.execute("PRAGMA user_version=11")
    with Store.open(db) as store:
        assert store.schema_version == VERSION
        (quote,) = store.quotes(["a1"])
    assert quote.text == "the port would close" and quote.speaker == "Officials"
    assert quote.via is None
