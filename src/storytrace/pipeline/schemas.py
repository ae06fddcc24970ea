"""The shape of every table a run reads, passes between steps and writes (docs/schema.md).

Only types both engines carry unchanged are used: string, binary, int32, int64, float64,
bool and lists of them. Every field is nullable, since Spark reads every Parquet column
back as nullable. Timestamps stay ISO 8601 strings, as the store keeps them: an article
dated "2024-03-01" has no time of day, and a made-up midnight would be a lie.
"""

from __future__ import annotations

import pyarrow as pa

STRINGS = pa.list_(pa.string())

_ARTICLE_FIELDS = [
    ("id", pa.string()),  # first 16 hex digits of the SHA-256 of the text
    ("record_id", pa.string()),  # the id the source gave the record, if any
    ("source", pa.string()),  # file, and #N for the record within it
    ("url", pa.string()),
    ("outlet", pa.string()),
    ("title", pa.string()),
    ("published", pa.string()),  # ISO 8601 date or date-time with offset
    ("language", pa.string()),
    ("authors", STRINGS),
    ("stripped", STRINGS),  # page-chrome lines moved out of the text
    ("meta", pa.string()),  # JSON object of other metadata
    ("text", pa.string()),
    ("words", pa.int64()),
]
ARTICLES = pa.schema(_ARTICLE_FIELDS)

# What reading yields before duplicates are settled: an article or a rejection (reason set),
# with where it came from: ``file`` and ``record`` (its number in the file, from 1) order
# records as the files list them, which decides which copy of a text is kept.
RECORDS = pa.schema(
    [
        *_ARTICLE_FIELDS,
        ("domain", pa.string()),
        ("file", pa.string()),
        ("record", pa.int64()),
        ("reason", pa.string()),
        ("key", pa.string()),  # a grouping key one settling step sets for the next
    ]
)
OUTLET_NAMES = pa.schema([("domain", pa.string()), ("name", pa.string())])
OUTLET_CLAIMS = pa.schema(
    [
        ("domain", pa.string()),
        ("outlet", pa.string()),
        ("file", pa.string()),
        ("record", pa.int64()),
    ]
)
REJECTIONS = pa.schema(
    [
        ("source", pa.string()),
        ("reason", pa.string()),
        ("file", pa.string()),
        ("record", pa.int64()),
    ]
)

# -- near-duplicates ---------------------------------------------------------------------
SIGNATURES = pa.schema(
    [("id", pa.string()), ("minhash", pa.binary()), ("keys", pa.list_(pa.int64()))]
)
BANDS = pa.schema([("band", pa.int32()), ("key", pa.int64()), ("id", pa.string())])
PAIRS = pa.schema([("a", pa.string()), ("b", pa.string())])
SIMILAR = pa.schema([("a", pa.string()), ("b", pa.string()), ("similarity", pa.float64())])
EDGES = pa.schema([("src", pa.string()), ("dst", pa.string())])
DUP_GROUPS = pa.schema(
    [
        ("article_id", pa.string()),
        ("group_id", pa.string()),
        ("canonical", pa.string()),  # the earliest published member (ties: smallest id)
        ("similarity", pa.float64()),  # estimated Jaccard with the canonical member
    ]
)

# -- reuse -------------------------------------------------------------------------------
ANCHORS = pa.schema([("hash", pa.int64()), ("id", pa.string())])
REUSE_STRENGTH = pa.schema([("a", pa.string()), ("b", pa.string()), ("chars", pa.int64())])
PAIR_COUNTS = pa.schema([("a", pa.string()), ("b", pa.string()), ("n", pa.int64())])
DIRECTED = pa.schema([("a_id", pa.string()), ("b_id", pa.string())])  # a published first
PASSAGES = pa.schema(
    [
        ("a_id", pa.string()),  # the earlier article, the source
        ("b_id", pa.string()),
        ("kind", pa.string()),  # verbatim or near-verbatim
        ("a_start", pa.int64()),
        ("a_end", pa.int64()),
        ("b_start", pa.int64()),
        ("b_end", pa.int64()),
        ("score", pa.float64()),
    ]
)

# -- stories -----------------------------------------------------------------------------
# what every row of the stories job carries about its article, besides the evidence
_ARTICLE_HEAD = [
    ("id", pa.string()),
    ("when", pa.float64()),  # days since the epoch; -1 when undated
    ("published", pa.string()),
    ("title", pa.string()),
    ("lead", pa.string()),  # the first line of the text, for a headline when no title
    ("outlet", pa.string()),
]
BAGS = pa.schema(
    [
        *_ARTICLE_HEAD,
        ("bag_terms", STRINGS),  # content words of title and head, and how often each occurs
        ("bag_counts", pa.list_(pa.int32())),
        ("names", STRINGS),  # proper names of title and head, sorted
    ]
)
TERM_COUNTS = pa.schema([("term", pa.string()), ("n", pa.int64())])
_FEATURE_FIELDS = [
    *_ARTICLE_HEAD,
    ("terms", STRINGS),  # the TF-IDF vector: terms by falling weight, unit length
    ("weights", pa.list_(pa.float64())),
    ("names", STRINGS),  # proper names, sorted, and their inverse document frequency
    ("name_weights", pa.list_(pa.float64())),
    ("embedding", pa.list_(pa.float32())),  # of title and lead, when embeddings are on
]
FEATURES = pa.schema(_FEATURE_FIELDS)
EMBEDDINGS = pa.schema([("id", pa.string()), ("embedding", pa.list_(pa.float32()))])
BLOCK_ROWS = pa.schema(
    [
        ("block", pa.int64()),  # time block (days // block_days); undated articles: -1
        ("context", pa.bool_()),  # copied in from the block before, for linking only
        *_FEATURE_FIELDS,
    ]
)
ASSIGNED = pa.schema(
    [
        *BLOCK_ROWS,
        ("story", pa.string()),  # "<block>:<number>", a story of one block's clustering
        ("score", pa.float64()),  # how well the article fitted its story when it joined
    ]
)
PROFILES = pa.schema(
    [("story", pa.string()), ("dated", pa.bool_()), ("term", pa.string()), ("weight", pa.float64())]
)
PROFILE_COUNTS = pa.schema([*PROFILES, ("n", pa.int64())])
PROFILE_MATCHES = pa.schema([*PROFILES, ("other", pa.string()), ("other_weight", pa.float64())])
MEMBER_ROWS = pa.schema(
    [
        ("component", pa.string()),
        ("id", pa.string()),
        ("score", pa.float64()),
        ("published", pa.string()),
        ("outlet", pa.string()),
        ("title", pa.string()),
        ("lead", pa.string()),
        ("terms", STRINGS),
        ("weights", pa.list_(pa.float64())),
    ]
)
STORIES = pa.schema(
    [
        ("id", pa.string()),  # "s" + the first 12 hex digits of its earliest article's id
        ("headline", pa.string()),
        ("keywords", STRINGS),
        ("first", pa.string()),
        ("last", pa.string()),
        ("size", pa.int64()),
        ("outlets", STRINGS),  # in order of first appearance
        ("members", STRINGS),  # article ids by publication time
    ]
)
STORY_MEMBERS = pa.schema(
    [
        ("story_id", pa.string()),
        ("article_id", pa.string()),
        ("position", pa.int64()),  # 0 for the first published
        ("score", pa.float64()),  # how well the article fitted when it joined
    ]
)

# -- quotes and entities -----------------------------------------------------------------
_QUOTE = pa.struct(
    [
        ("start", pa.int64()),
        ("end", pa.int64()),
        ("text", pa.string()),
        ("speaker", pa.string()),
        ("speaker_resolved", pa.string()),
        ("cue", pa.string()),
        ("direct", pa.bool_()),
        ("via", pa.string()),
    ]
)
_ENTITY = pa.struct(
    [
        ("name", pa.string()),
        ("label", pa.string()),
        ("mentions", pa.int64()),
        ("descriptors", STRINGS),
    ]
)
ANALYSED = pa.schema(
    [("article_id", pa.string()), ("quotes", pa.list_(_QUOTE)), ("entities", pa.list_(_ENTITY))]
)
QUOTES = pa.schema([("article_id", pa.string()), *[(f.name, f.type) for f in _QUOTE]])
ENTITIES = pa.schema([("article_id", pa.string()), *[(f.name, f.type) for f in _ENTITY]])

# The tables of a run's output folder, each with the columns it is sorted by.
OUTPUT_TABLES: dict[str, tuple[pa.Schema, tuple[str, ...]]] = {
    "articles": (ARTICLES, ("id",)),
    "rejections": (REJECTIONS, ("file", "record", "source", "reason")),
    "dup_groups": (DUP_GROUPS, ("group_id", "article_id")),
    "passages": (PASSAGES, ("a_id", "b_id", "a_start", "b_start", "kind")),
    "stories": (STORIES, ("id",)),
    "story_members": (STORY_MEMBERS, ("story_id", "position")),
    "quotes": (QUOTES, ("article_id", "start", "end")),
    "entities": (ENTITIES, ("article_id", "label", "name")),
}
