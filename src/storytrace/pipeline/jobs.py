"""The corpus jobs, written once in the engine contract and run by any engine.

    read_articles   files -> articles (one per text) and rejections
    dedup           articles -> near-duplicate groups
    reuse           articles, groups -> reused passages
    stories         articles, passages -> stories and their members
    quotes          articles -> quotes and entities

A job only wires steps: which stage, over which dataset, grouped or joined on what. Every
computation is in a stage; every step is named, so an engine can resume a run. Nothing here
looks inside a dataset, so these functions are the same on a laptop and on a cluster.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from storytrace.dedup import SignOptions, band_params
from storytrace.dedup import stages as dedup_stages
from storytrace.engine import Dataset, Engine, Stage
from storytrace.ingest import settle
from storytrace.ingest.stage import ReadOptions, read_stage
from storytrace.nlp import stage as nlp_stages
from storytrace.pipeline import schemas
from storytrace.reuse import stages as reuse_stages
from storytrace.stories import stages as story_stages
from storytrace.stories.cluster import EMBEDDING_OPTIONS, StoryOptions

FILE_ORDER = ("file", "record")  # the order in which records were read decides ties


@dataclass(frozen=True, slots=True, kw_only=True)
class RunOptions:
    """Everything a run decides; the CLI maps its flags onto this and nothing else."""

    read: ReadOptions = field(default_factory=ReadOptions)
    threshold: float = 0.7  # estimated Jaccard of word 5-gram sets for near-duplicates
    max_df: int = 50  # an n-gram in more articles than this is no evidence of reuse
    min_shared: int = 2  # rare n-grams two articles must share to be aligned
    stories: StoryOptions = field(default_factory=StoryOptions)
    embed: bool = False  # sentence embeddings as story evidence
    quotes: bool = True

    def story_options(self) -> StoryOptions:
        return EMBEDDING_OPTIONS if self.embed and self.stories == StoryOptions() else self.stories


# -- reading -------------------------------------------------------------------------------
def read_articles(
    engine: Engine, inputs: Sequence[str], read: ReadOptions
) -> tuple[Dataset, Dataset, list[tuple[str, str]]]:
    """(articles, rejections, arguments naming no file) from input paths."""
    files, bad = engine.files("read/files", inputs)
    records = engine.map("read/records", files, Stage(read_stage, schemas.RECORDS, 1), shared=read)
    rejected = engine.map(
        "read/rejected", records, Stage(settle.rejected_records, schemas.REJECTIONS), cheap=True
    )
    found = engine.map(
        "read/found", records, Stage(settle.article_records, schemas.RECORDS), cheap=True
    )
    once = engine.group(
        "read/once", found, ["key"], FILE_ORDER, Stage(settle.first_copies, schemas.RECORDS)
    )
    keyed = engine.map(
        "read/record-ids", once, Stage(settle.record_id_keys, schemas.RECORDS), cheap=True
    )
    settled = engine.group(
        "read/record-id-conflicts",
        keyed,
        ["key"],
        FILE_ORDER,
        Stage(settle.record_id_conflicts, schemas.RECORDS),
    )
    conflicts = engine.map(
        "read/conflicts", settled, Stage(settle.rejected_records, schemas.REJECTIONS), cheap=True
    )
    kept = engine.map(
        "read/kept", settled, Stage(settle.article_records, schemas.RECORDS), cheap=True
    )
    claims = engine.map(
        "read/outlet-claims", kept, Stage(settle.outlet_claims, schemas.OUTLET_CLAIMS), cheap=True
    )
    names = engine.group(
        "read/outlet-names",
        claims,
        ["domain"],
        FILE_ORDER,
        Stage(settle.outlet_names, schemas.OUTLET_NAMES),
    )
    joined = engine.join(
        "read/named",
        kept,
        names,
        on=[("domain", "domain")],
        take={"name": "outlet_name"},
        how="left",
    )
    articles = engine.map(
        "read/articles", joined, Stage(settle.named_articles, schemas.ARTICLES), cheap=True
    )
    rejections = engine.union("read/rejections", rejected, conflicts)
    return articles, rejections, bad


# -- near-duplicates --------------------------------------------------------------------
def dedup(engine: Engine, articles: Dataset, threshold: float = 0.7) -> tuple[Dataset, Dataset]:
    """(near-duplicate groups, signatures) of the articles."""
    bands, rows = band_params(threshold)
    options = SignOptions(bands=bands, rows=rows)
    signed = engine.map(
        "dedup/sign", articles, Stage(dedup_stages.sign, schemas.SIGNATURES, 500), shared=options
    )
    banded = engine.map(
        "dedup/bands", signed, Stage(dedup_stages.band_rows, schemas.BANDS), cheap=True
    )
    candidates = engine.group(
        "dedup/candidates",
        banded,
        ["band", "key"],
        ["id"],
        Stage(dedup_stages.bucket_pairs, schemas.PAIRS, 20_000),
    )
    distinct = engine.count("dedup/distinct", candidates, ["a", "b"])
    with_a = engine.join(
        "dedup/sig-a", distinct, signed, on=[("a", "id")], take={"minhash": "minhash_a"}
    )
    with_b = engine.join(
        "dedup/sig-b", with_a, signed, on=[("b", "id")], take={"minhash": "minhash_b"}
    )
    similar = engine.map(
        "dedup/verify",
        with_b,
        Stage(dedup_stages.verify, schemas.SIMILAR, 20_000),
        shared=threshold,
    )
    edges = engine.map("dedup/edges", similar, Stage(dedup_stages.edges, schemas.EDGES), cheap=True)
    components = engine.components("dedup/components", edges)
    dated = engine.join(
        "dedup/dated", components, articles, on=[("node", "id")], take={"published": "published"}
    )
    signed_members = engine.join(
        "dedup/members", dated, signed, on=[("node", "id")], take={"minhash": "minhash"}
    )
    groups = engine.group(
        "dedup/groups",
        signed_members,
        ["component"],
        ["published", "node"],
        Stage(dedup_stages.dup_groups, schemas.DUP_GROUPS, 5000),
    )
    return groups, signed


# -- reuse -------------------------------------------------------------------------------
def reuse(
    engine: Engine,
    articles: Dataset,
    dup_groups: Dataset,
    max_df: int = 50,
    min_shared: int = 2,
    aligned: Dataset | None = None,
) -> tuple[Dataset, Dataset]:
    """(passages, the directed pairs aligned) between articles that share rare n-grams or
    are near-duplicates. ``aligned`` lists pairs already aligned elsewhere (a store's), which
    are not aligned again."""
    anchors = engine.map(
        "reuse/anchors", articles, Stage(reuse_stages.anchor_rows, schemas.ANCHORS, 500)
    )
    shared = engine.group(
        "reuse/shared",
        anchors,
        ["hash"],
        ["id"],
        Stage(reuse_stages.anchor_pairs, schemas.PAIRS, 20_000),
        shared=max_df,
    )
    counted = engine.count("reuse/counted", shared, ["a", "b"])
    enough = engine.map(
        "reuse/enough",
        counted,
        Stage(reuse_stages.enough_shared, schemas.PAIRS, 50_000),
        shared=min_shared,
        cheap=True,
    )
    copies = engine.map(
        "reuse/copies", dup_groups, Stage(reuse_stages.canonical_pairs, schemas.PAIRS), cheap=True
    )
    both = engine.union("reuse/candidates", enough, copies)
    distinct = engine.count("reuse/distinct", both, ["a", "b"])
    dated_a = engine.join(
        "reuse/date-a", distinct, articles, on=[("a", "id")], take={"published": "published_a"}
    )
    dated = engine.join(
        "reuse/date-b", dated_a, articles, on=[("b", "id")], take={"published": "published_b"}
    )
    directed = engine.map(
        "reuse/directed", dated, Stage(reuse_stages.direct, schemas.DIRECTED, 50_000), cheap=True
    )
    if aligned is not None:
        directed = engine.join(
            "reuse/new", directed, aligned, on=[("a_id", "a_id"), ("b_id", "b_id")], how="left_anti"
        )
    text_a = engine.join(
        "reuse/text-a", directed, articles, on=[("a_id", "id")], take={"text": "a_text"}
    )
    texts = engine.join(
        "reuse/text-b", text_a, articles, on=[("b_id", "id")], take={"text": "b_text"}
    )
    passages = engine.group(
        "reuse/align", texts, ["a_id"], ["b_id"], Stage(reuse_stages.align, schemas.PASSAGES, 50)
    )
    return passages, directed


# -- stories -----------------------------------------------------------------------------
def stories(
    engine: Engine, articles: Dataset, passages: Dataset, options: StoryOptions
) -> tuple[Dataset, Dataset]:
    """(stories, story members) of the articles; see ``stories.stages`` for the method."""
    bags = engine.map(
        "stories/bags", articles, Stage(story_stages.bags_of, schemas.BAGS, 500), shared=options
    )
    terms = engine.map(
        "stories/terms", bags, Stage(story_stages.term_counts_of, schemas.TERM_COUNTS, 2000)
    )
    counts = engine.count("stories/df", terms, ["term"], weight="n")
    vocab = story_stages.vocabulary(engine.collect(counts), options.idf_prior)
    features = engine.map(
        "stories/features",
        bags,
        Stage(story_stages.features_of, schemas.FEATURES, 2000),
        shared=(vocab, options),
    )
    if options.embedding_weight > 0:  # sentence embeddings of title and lead as evidence
        vectors = engine.map(
            "stories/embed", articles, Stage(story_stages.embed_heads, schemas.EMBEDDINGS, 256)
        )
        joined = engine.join(
            "stories/embedded",
            features,
            vectors,
            on=[("id", "id")],
            take={"embedding": "joined_embedding"},
            how="left",
        )
        features = engine.map(
            "stories/with-vectors",
            joined,
            Stage(story_stages.with_embedding, schemas.FEATURES),
            cheap=True,
        )
    blocks = engine.map(
        "stories/blocks",
        features,
        Stage(story_stages.block_rows, schemas.BLOCK_ROWS),
        shared=options,
        cheap=True,
    )
    assigned = engine.group(
        "stories/cluster",
        blocks,
        ["block"],
        ["when", "id"],
        Stage(story_stages.cluster_block, schemas.ASSIGNED, 1),
        shared=options,
    )
    own = engine.map(
        "stories/own", assigned, Stage(story_stages.own_rows, schemas.ASSIGNED), cheap=True
    )
    homed = engine.join(
        "stories/homes", assigned, own, on=[("id", "id")], take={"story": "home"}, how="left"
    )
    links = engine.group(
        "stories/block-links",
        homed,
        ["story"],
        ["context", "id"],
        Stage(story_stages.block_links, schemas.EDGES, 20_000),
    )
    strong = engine.group(
        "stories/reuse-pairs",
        passages,
        ["a_id", "b_id"],
        ["a_start", "b_start", "kind"],
        Stage(story_stages.reuse_strength, schemas.REUSE_STRENGTH, 20_000),
        shared=(options.reuse_link_chars, options.reuse_link_share),
    )
    sized = engine.join(
        "stories/reuse-sizes", strong, articles, on=[("a", "id")], take={"words": "words_a"}
    )
    sized = engine.join(
        "stories/reuse-sizes-b", sized, articles, on=[("b", "id")], take={"words": "words_b"}
    )
    with_a = engine.join(
        "stories/reuse-a", sized, own, on=[("a", "id")], take={"story": "story_a", "when": "when_a"}
    )
    with_b = engine.join(
        "stories/reuse-b",
        with_a,
        own,
        on=[("b", "id")],
        take={"story": "story_b", "when": "when_b"},
    )
    reused = engine.map(
        "stories/reuse-links",
        with_b,
        Stage(story_stages.reuse_links, schemas.EDGES),
        shared=(options.window_days, options.reuse_link_share),
        cheap=True,
    )
    profiles = engine.group(
        "stories/profiles",
        own,
        ["story"],
        ["id"],
        Stage(story_stages.story_profiles, schemas.PROFILES, 20_000),
        shared=options.profile_terms,
    )
    dated = engine.map(
        "stories/dated-profiles",
        profiles,
        Stage(story_stages.dated_profiles, schemas.PROFILES),
        cheap=True,
    )
    undated = engine.map(
        "stories/undated-profiles",
        profiles,
        Stage(story_stages.undated_profiles, schemas.PROFILES),
        cheap=True,
    )
    term_use = engine.count("stories/profile-terms", dated, ["term"])
    counted = engine.join(
        "stories/profile-df", dated, term_use, on=[("term", "term")], take={"n": "n"}
    )
    rare = engine.map(
        "stories/rare-terms",
        counted,
        Stage(story_stages.rare_profile_terms, schemas.PROFILE_COUNTS),
        shared=options.max_profile_postings,
        cheap=True,
    )
    matches = engine.join(
        "stories/undated-matches",
        undated,
        rare,
        on=[("term", "term")],
        take={"story": "other", "weight": "other_weight"},
    )
    joined_undated = engine.group(
        "stories/undated-links",
        matches,
        ["story"],
        ["other", "term"],
        Stage(story_stages.undated_links, schemas.EDGES, 20_000),
        shared=options.undated_link,
    )
    edges = engine.union("stories/links", links, reused, joined_undated)
    components = engine.components("stories/components", edges)
    final = engine.join(
        "stories/final", own, components, on=[("story", "node")], take={"component": "component"}
    )
    member_rows = engine.map(
        "stories/member-rows",
        final,
        Stage(story_stages.member_rows, schemas.MEMBER_ROWS),
        cheap=True,
    )
    order = ["published", "id"]
    built = engine.group(
        "stories/assemble",
        member_rows,
        ["component"],
        order,
        Stage(story_stages.assemble, schemas.STORIES, 2000),
    )
    members = engine.group(
        "stories/members",
        member_rows,
        ["component"],
        order,
        Stage(story_stages.members, schemas.STORY_MEMBERS, 5000),
    )
    return built, members


# -- quotes and entities -----------------------------------------------------------------
def quotes(engine: Engine, articles: Dataset) -> tuple[Dataset, Dataset]:
    """(quotes, entities) of the articles: one parse each, the part the parser reads capped."""
    analysed = engine.map(
        "quotes/analyse", articles, Stage(nlp_stages.analyse, schemas.ANALYSED, 64)
    )
    found = engine.map(
        "quotes/quotes", analysed, Stage(nlp_stages.quote_rows, schemas.QUOTES), cheap=True
    )
    entities = engine.map(
        "quotes/entities", analysed, Stage(nlp_stages.entity_rows, schemas.ENTITIES), cheap=True
    )
    return found, entities
