"""The SQLite schema, as numbered migrations.

``PRAGMA user_version`` holds the number of migrations applied; opening a store applies the
missing ones in one transaction each, so an old store is upgraded in place and a store
written by a newer storytrace is refused rather than misread.
"""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    # 1: articles, what was rejected, which files are done
    """
    CREATE TABLE articles (
        id          TEXT PRIMARY KEY,          -- content hash of text
        record_id   TEXT,                      -- the id the source gave it, if any
        source      TEXT,
        url         TEXT,
        outlet      TEXT,
        title       TEXT NOT NULL DEFAULT '',
        published   TEXT,
        language    TEXT,
        authors     TEXT NOT NULL DEFAULT '[]',
        stripped    TEXT NOT NULL DEFAULT '[]',
        meta        TEXT NOT NULL DEFAULT '{}',
        text        TEXT NOT NULL,
        words       INTEGER NOT NULL,
        ingested_at TEXT NOT NULL
    );
    CREATE INDEX articles_published ON articles(published);
    CREATE INDEX articles_outlet ON articles(outlet);
    CREATE UNIQUE INDEX articles_record_id ON articles(record_id) WHERE record_id IS NOT NULL;
    CREATE TABLE rejections (
        source  TEXT NOT NULL,
        reason  TEXT NOT NULL,
        at      TEXT NOT NULL
    );
    CREATE TABLE outlet_names (
        domain TEXT PRIMARY KEY,
        name   TEXT NOT NULL
    );
    CREATE TABLE files (
        path    TEXT PRIMARY KEY,
        size    INTEGER NOT NULL,
        mtime   REAL NOT NULL,
        records INTEGER NOT NULL,
        done_at TEXT NOT NULL
    );
    """,
    # 2: near-duplicate signatures and groups
    """
    CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE signatures (
        article_id TEXT PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
        minhash    BLOB NOT NULL
    );
    CREATE TABLE bands (
        band       INTEGER NOT NULL,
        key        INTEGER NOT NULL,
        article_id TEXT NOT NULL
    );
    CREATE INDEX bands_key ON bands(band, key);
    CREATE TABLE dup_groups (
        article_id TEXT PRIMARY KEY,
        group_id   TEXT NOT NULL,
        canonical  TEXT NOT NULL,
        similarity REAL NOT NULL
    );
    CREATE INDEX dup_groups_group ON dup_groups(group_id);
    """,
    # 3: reused passages between articles (a = the earlier, the source)
    """
    CREATE TABLE passages (
        a_id    TEXT NOT NULL,
        b_id    TEXT NOT NULL,
        kind    TEXT NOT NULL,
        a_start INTEGER NOT NULL, a_end INTEGER NOT NULL,
        b_start INTEGER NOT NULL, b_end INTEGER NOT NULL,
        score   REAL NOT NULL
    );
    CREATE INDEX passages_a ON passages(a_id);
    CREATE INDEX passages_b ON passages(b_id);
    CREATE TABLE anchors (
        hash       INTEGER NOT NULL,
        article_id TEXT NOT NULL
    );
    CREATE INDEX anchors_hash ON anchors(hash);
    CREATE TABLE anchored (
        article_id TEXT PRIMARY KEY
    );
    CREATE TABLE aligned_pairs (
        a_id TEXT NOT NULL,
        b_id TEXT NOT NULL,
        PRIMARY KEY (a_id, b_id)
    );
    """,
    # 4: stories and quotes
    """
    CREATE TABLE stories (
        id       TEXT PRIMARY KEY,
        headline TEXT NOT NULL,
        keywords TEXT NOT NULL DEFAULT '[]',
        first    TEXT,
        last     TEXT,
        size     INTEGER NOT NULL
    );
    CREATE TABLE story_articles (
        story_id   TEXT NOT NULL,
        article_id TEXT NOT NULL PRIMARY KEY,
        score      REAL NOT NULL
    );
    CREATE INDEX story_articles_story ON story_articles(story_id);
    CREATE TABLE quotes (
        article_id TEXT NOT NULL,
        start INTEGER NOT NULL, end INTEGER NOT NULL,
        text TEXT NOT NULL,
        speaker TEXT, speaker_resolved TEXT,
        cue TEXT,
        direct INTEGER NOT NULL
    );
    CREATE INDEX quotes_article ON quotes(article_id);
    CREATE TABLE entities (
        article_id  TEXT NOT NULL,
        name        TEXT NOT NULL,
        label       TEXT NOT NULL,
        mentions    INTEGER NOT NULL,
        descriptors TEXT NOT NULL DEFAULT '[]'
    );
    CREATE INDEX entities_article ON entities(article_id);
    CREATE TABLE analysed (
        article_id TEXT PRIMARY KEY,
        stage      TEXT NOT NULL
    );
    """,
    # 5: full-text search. External-content FTS5 tables hold only the index (the text stays
    # in articles/stories); triggers keep them in step with every write, so no code path can
    # forget to, and 'rebuild' fills them for a store that predates this migration. They are
    # keyed by rowid, which stays put because storytrace never VACUUMs.
    """
    CREATE VIRTUAL TABLE articles_fts USING fts5(
        title, text, content='articles', content_rowid='rowid'
    );
    CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
        INSERT INTO articles_fts(rowid, title, text) VALUES (new.rowid, new.title, new.text);
    END;
    CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, text)
        VALUES ('delete', old.rowid, old.title, old.text);
    END;
    CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, text ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, text)
        VALUES ('delete', old.rowid, old.title, old.text);
        INSERT INTO articles_fts(rowid, title, text) VALUES (new.rowid, new.title, new.text);
    END;
    INSERT INTO articles_fts(articles_fts) VALUES ('rebuild');
    CREATE VIRTUAL TABLE stories_fts USING fts5(
        headline, keywords, content='stories', content_rowid='rowid'
    );
    CREATE TRIGGER stories_fts_insert AFTER INSERT ON stories BEGIN
        INSERT INTO stories_fts(rowid, headline, keywords)
        VALUES (new.rowid, new.headline, new.keywords);
    END;
    CREATE TRIGGER stories_fts_delete AFTER DELETE ON stories BEGIN
        INSERT INTO stories_fts(stories_fts, rowid, headline, keywords)
        VALUES ('delete', old.rowid, old.headline, old.keywords);
    END;
    CREATE TRIGGER stories_fts_update AFTER UPDATE OF headline, keywords ON stories BEGIN
        INSERT INTO stories_fts(stories_fts, rowid, headline, keywords)
        VALUES ('delete', old.rowid, old.headline, old.keywords);
        INSERT INTO stories_fts(rowid, headline, keywords)
        VALUES (new.rowid, new.headline, new.keywords);
    END;
    INSERT INTO stories_fts(stories_fts) VALUES ('rebuild');
    """,
    # 6: serving. Each story keeps its members and outlets (JSON, by publication time) so a
    # page of stories is one read of a few rows, not a join over every member article; the
    # store fills them after this migration and whenever stories are replaced. The indexes
    # let list pages read sorted pages straight from an index, and let lookups of article
    # metadata stay inside a small covering index instead of the text-heavy rows.
    """
    ALTER TABLE stories ADD COLUMN members TEXT;
    ALTER TABLE stories ADD COLUMN outlets TEXT;
    CREATE INDEX stories_size ON stories(size DESC, first, id);
    CREATE INDEX stories_last ON stories(last DESC, id);
    DROP INDEX story_articles_story;
    CREATE INDEX story_articles_story ON story_articles(story_id, article_id);
    DROP INDEX articles_outlet;
    CREATE INDEX articles_outlet ON articles(outlet, id);
    CREATE INDEX articles_meta ON articles(id, outlet, published, title, words);
    """,
    # 7: search by story. The article index answers with article rowids; keeping each
    # member's rowid beside its story turns a word found in most articles into one pass over
    # a small index, not a lookup in the text-heavy articles table per hit (0.5 s, not 5 s,
    # for a word in all of 100k articles).
    """
    ALTER TABLE story_articles ADD COLUMN article_rowid INTEGER;
    UPDATE story_articles
       SET article_rowid = (SELECT rowid FROM articles a WHERE a.id = story_articles.article_id);
    CREATE INDEX story_articles_rowid ON story_articles(article_rowid, story_id);
    """,
    # 8: covering lookup indexes for the LSH and anchor tables. The candidate queries group
    # by band key or anchor hash and need only the article id, so carrying it in the index
    # saves a table lookup per row. Bulk loads drop these two indexes and build them again
    # by sorting (``Store.lookup_index``), which beats millions of random B-tree inserts.
    """
    DROP INDEX bands_key;
    CREATE INDEX bands_key ON bands(band, key, article_id);
    DROP INDEX anchors_hash;
    CREATE INDEX anchors_hash ON anchors(hash, article_id);
    """,
    # 9: which input file each rejection came from, so a rerun lists the rejections of an
    # unchanged file again and a re-read file replaces its old ones instead of adding twins.
    """
    ALTER TABLE rejections ADD COLUMN file TEXT;
    CREATE INDEX rejections_file ON rejections(file);
    """,
    # 10: the corpus jobs run in an engine (storytrace.pipeline) and recompute signatures
    # and n-gram anchors as they go, so the tables that held them for SQL grouping go.
    """
    DROP TABLE IF EXISTS bands;
    DROP TABLE IF EXISTS signatures;
    DROP TABLE IF EXISTS anchors;
    DROP TABLE IF EXISTS anchored;
    DELETE FROM settings WHERE key = 'banding';
    """,
    # 11: old story ids. Stories are named after their earliest article, but older stores
    # named them after a hash of their members, and any rebuild can change which article is
    # earliest. Replacing the stories records each old id with its earliest member; the id
    # then leads to whichever story holds that article now (NULL: none does), even after
    # later rebuilds, since the article is kept and the story looked up again each time.
    # Rebuilds never clear this table.
    """
    CREATE TABLE story_aliases (
        old_id     TEXT PRIMARY KEY,
        article_id TEXT NOT NULL,
        new_id     TEXT
    );
    """,
    # 12: whom a quote's words are cited from when that is not the speaker ("..., he said,
    # according to CNN"); NULL for the quotes of older stores, which were not told apart.
    """
    ALTER TABLE quotes ADD COLUMN via TEXT;
    """,
)
VERSION = len(MIGRATIONS)
