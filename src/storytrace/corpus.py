"""Corpus jobs: ingest files into the store, then dedup, reuse, stories and quotes.

Each job reads from the store, runs a pure stage over batches with the engine, and writes
each batch back in one transaction, so an interrupted job loses only the batch in flight
and running it again carries on where it stopped.
"""

from __future__ import annotations

import glob
import hashlib
import itertools
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from storytrace.engine import run_stage
from storytrace.errors import InputError
from storytrace.ingest.limits import DEFAULT_LIMITS, Limits
from storytrace.ingest.load import display_path, special_kind
from storytrace.ingest.outlet import domain_from_path, domain_of
from storytrace.model import Article, Rejected, Story
from storytrace.store.db import Store

Progress = Callable[[int], None]  # called with how many items were just done
BATCH = 200
POOL_MIN_BYTES = 4 << 20  # smaller files are parsed in this process: a pool costs more
CANDIDATE_CHUNK = 20_000  # LSH candidate groups verified per read of their signatures


# -- ingest -------------------------------------------------------------------------------
@dataclass
class IngestSummary:
    files: int = 0
    unchanged: int = 0
    added: int = 0
    duplicates: int = 0
    resumed: int = 0  # records stored by an earlier, interrupted read of the same file
    rejected: list[tuple[str, str]] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.rejected)


def expand_paths(args: Iterable[str]) -> tuple[list[Path], list[tuple[str, str]]]:
    """Files named by arguments (files, folders searched recursively, globs), and bad ones.

    Named pipes, devices and sockets are listed as bad without being opened: reading a
    FIFO would wait forever. Hidden files and folders inside a folder are skipped, and
    symbolic links to folders are not followed (a link loop would never end).
    """
    files: list[Path] = []
    bad: list[tuple[str, str]] = []
    for arg in args:
        path = Path(arg)
        kind = _special(path)
        if kind is not None:
            bad.append(
                (display_path(arg), f"{kind}, not a regular file; refused without reading it")
            )
        elif path.is_file():
            files.append(path)
        elif path.is_dir():
            found, odd = _walk(path)
            bad.extend(odd)
            if not found and not odd:
                bad.append((display_path(arg), "folder holds no files"))
            files.extend(found)
        elif any(ch in arg for ch in "*?["):
            matches = glob.glob(arg, recursive=True)  # noqa: PTH207 - absolute patterns too
            found = sorted(Path(p) for p in matches if Path(p).is_file())
            if not found:
                bad.append((display_path(arg), "pattern matches no files"))
            files.extend(found)
        else:
            bad.append((display_path(arg), "no such file or folder"))
    return list(dict.fromkeys(files)), bad


def _special(path: Path) -> str | None:
    try:
        return special_kind(path.stat().st_mode)
    except OSError:
        return None


def _walk(folder: Path) -> tuple[list[Path], list[tuple[str, str]]]:
    """Regular files under ``folder`` in name order, and its special files as refusals."""
    found: list[Path] = []
    odd: list[tuple[str, str]] = []
    for root, dirs, names in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if name.startswith("."):
                continue
            path = Path(root) / name
            kind = _special(path)
            if kind is not None:
                odd.append(
                    (display_path(path), f"{kind}, not a regular file; refused without reading it")
                )
            elif path.is_file():
                found.append(path)
    return sorted(found), odd


def _records(
    path: Path, fields: object, fmt: str | None, workers: int, limits: Limits
) -> Iterator[Article | Rejected]:
    """Every record of one file; whatever stops the reader becomes a rejection of the file.

    Records yielded before the failure are kept: a truncated archive still gives what it
    holds. A file that yields nothing at all is itself rejected, so an unreadable WARC
    never passes as an empty success.
    """
    from storytrace.ingest import read_path

    name = display_path(path)
    count = 0
    try:
        for item in read_path(path, fmt=fmt, fields=fields, workers=workers, limits=limits):  # type: ignore[arg-type]
            count += 1
            yield item
    except InputError as exc:
        count += 1
        message = str(exc)
        yield Rejected(name, message.removeprefix(f"{name}: "))
    except OSError as exc:  # vanished or unreadable mid-run
        count += 1
        yield Rejected(name, f"cannot read file ({exc.strerror or exc})")
    except RecursionError:
        count += 1
        yield Rejected(name, "reader stopped: data nested too deeply")
    except Exception as exc:  # one file must never stop an ingest
        count += 1
        detail = " ".join(str(exc).split())[:160]
        yield Rejected(
            name, f"reader stopped after {count - 1} records ({type(exc).__name__}: {detail})"
        )
    if count == 0:
        yield Rejected(name, "no article or record found in the file")


def ingest(
    store: Store,
    files: Iterable[Path],
    fields: object = None,
    fmt: str | None = None,
    progress: Progress | None = None,
    summary: IngestSummary | None = None,
    workers: int | None = None,
    limits: Limits | None = None,
) -> IngestSummary:
    """Read every file into the store; already stored content is counted, not stored again.

    Big JSONL files are parsed by ``workers`` processes while this one writes the store.
    Only the store's own failures (disk full, a corrupt database) stop the run, as a
    StoreError; everything wrong with an input is a rejection.
    """
    summary = summary or IngestSummary()
    limits = limits or DEFAULT_LIMITS
    for path in files:
        summary.files += 1
        name = display_path(path)
        try:
            stat = path.stat()
        except OSError as exc:
            summary.rejected.append((name, f"cannot read file ({exc.strerror or exc})"))
            with store.transaction():
                store.add_rejection(name, summary.rejected[-1][1])
            continue
        key = display_path(path.resolve())
        if store.file_done(key, stat.st_size, stat.st_mtime):
            summary.unchanged += 1
            summary.rejected.extend(store.file_rejections(key))  # still refused: say so again
            if progress:
                progress(1)
            continue
        with store.transaction():  # a changed or interrupted file: its reasons come anew
            store.forget_file_rejections(key)
        pending: list[Article | Rejected] = []
        records = 0
        parsers = (workers or cpu_workers()) if stat.st_size >= POOL_MIN_BYTES else 1
        for item in _records(path, fields, fmt, parsers, limits):
            records += 1
            pending.append(item)
            if len(pending) >= BATCH:
                _commit(store, pending, summary, key)
                pending = []
        _commit(store, pending, summary, key, done=(key, stat.st_size, stat.st_mtime, records))
        if progress:
            progress(1)
    return summary


def _commit(
    store: Store,
    items: list[Article | Rejected],
    summary: IngestSummary,
    file: str,
    done: tuple[str, int, float, int] | None = None,
) -> None:
    with store.transaction():
        for item in items:
            if isinstance(item, Rejected):
                store.add_rejection(item.source, item.reason, file)
                summary.rejected.append((item.source, item.reason))
                continue
            stored_from = store.article_source(item.id)
            if stored_from is not None:
                # the same record stored by an interrupted read of this file is no duplicate
                if stored_from == item.source:
                    summary.resumed += 1
                else:
                    summary.duplicates += 1
                continue
            record_id = dict(item.meta).get("record_id")
            if record_id is not None:
                # articles written earlier in this transaction count too: same connection
                owner = store.record_owner(record_id)
                if owner is not None and owner != item.id:
                    reason = f"record id {record_id!r} already stored with different text"
                    store.add_rejection(item.source or "?", reason, file)
                    summary.rejected.append((item.source or "?", reason))
                    continue
            domain = domain_of(item.url) or domain_from_path(item.source)
            if domain:
                item = replace(item, outlet=store.outlet_name(domain, item.outlet))
            store.add_article(item)
            summary.added += 1
        if done is not None:
            store.mark_file(*done)


# -- near-duplicates ----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class DedupResult:
    signed: int
    pairs: int
    groups: int


def dedup(
    store: Store,
    threshold: float = 0.7,
    workers: int | None = None,
    progress: Progress | None = None,
) -> DedupResult:
    """Sign new articles, find near-duplicate pairs by LSH, and rebuild the groups."""
    from storytrace.dedup import SignOptions, band_params, build_groups, sign_batch, verified_pairs
    from storytrace.dedup.minhash import SIGNATURE_VERSION

    bands, rows = band_params(threshold)
    options = SignOptions(bands=bands, rows=rows)
    with store.transaction():  # another threshold means other bands: sign everything again
        setting = f"{options.shingle_words}/{options.bins}/{bands}x{rows}"
        store.set_banding(f"v{SIGNATURE_VERSION}/{setting}")  # a new hash scheme re-signs too
    ids = store.unsigned_ids()
    with store.lookup_index("bands", new=len(ids)):
        signed = _sign_new(store, ids, options, sign_batch, workers, progress)
    pairs: dict[tuple[str, str], float] = {}
    collisions = store.band_collisions()
    # a slice of candidate groups at a time, so signatures are never all in memory
    while chunk := list(itertools.islice(collisions, CANDIDATE_CHUNK)):
        sigs = store.signatures(sorted({i for group in chunk for i in group}))
        pairs.update(verified_pairs(chunk, sigs, threshold))
    published = store.published_of(sorted({i for p in pairs for i in p}))
    order = {i: (when or "~", i) for i, when in published.items()}
    rows_out = build_groups(pairs, order)
    with store.transaction():
        store.replace_dup_groups(rows_out)
    return DedupResult(signed, len(pairs), len({r[1] for r in rows_out}))


def _sign_new(
    store: Store,
    ids: list[str],
    options: object,
    stage: Callable,
    workers: int | None,
    progress: Progress | None,
) -> int:
    import functools

    if not ids:
        return 0
    batches = ([(a.id, a.text) for a in batch] for batch in store.iter_articles(batch=500, ids=ids))
    done = 0
    for result in run_stage(functools.partial(stage, options=options), batches, workers):
        with store.transaction():
            store.add_signatures(result)
        done += len(result)
        if progress:
            progress(len(result))
    return done


# -- reuse --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ReuseResult:
    candidates: int
    aligned: int
    passages: int


def reuse(
    store: Store,
    max_df: int = 50,
    min_shared: int = 2,
    workers: int | None = None,
    progress: Progress | None = None,
) -> ReuseResult:
    """Find article pairs that share rare n-grams (or are near-duplicates) and align them."""
    from storytrace.reuse import align_batch, anchors_batch

    new = store.unanchored_ids()
    with store.lookup_index("anchors", new=len(new)):
        for result in run_stage(
            anchors_batch,
            ([(a.id, a.text) for a in b] for b in store.iter_articles(batch=500, ids=new)),
            workers,
        ):
            with store.transaction():
                store.add_anchors(result)
    pairs = {(x, y) for x, y, _ in store.anchor_pairs(max_df, min_shared)}
    for rows in store.dup_groups().values():
        canonical = rows[0]["canonical"]
        pairs.update(
            (min(canonical, r["article_id"]), max(canonical, r["article_id"]))
            for r in rows
            if r["article_id"] != canonical
        )
    todo = sorted(pairs)
    published = store.published_of(sorted({i for p in todo for i in p}))

    def directed(pair: tuple[str, str]) -> tuple[str, str]:
        x, y = pair
        kx = (published[x] or "~", x)
        ky = (published[y] or "~", y)
        return (x, y) if kx <= ky else (y, x)

    # sorted again after directing, so an article's pairs fall into the same batch
    todo = sorted(p for p in map(directed, todo) if not store.aligned(*p))

    def batches() -> Iterator[list[tuple[str, str, str, str]]]:
        for i in range(0, len(todo), 50):
            chunk = todo[i : i + 50]
            ids = sorted({x for p in chunk for x in p})
            texts = {a.id: a.text for batch in store.iter_articles(ids=ids) for a in batch}
            yield [(a, texts[a], b, texts[b]) for a, b in chunk]

    aligned = passages = 0
    for result in run_stage(align_batch, batches(), workers):
        with store.transaction():
            for a_id, b_id, found in result:
                store.add_passages(a_id, b_id, found)
                passages += len(found)
        aligned += len(result)
        if progress:
            progress(len(result))
    return ReuseResult(len(pairs), aligned, passages)


# -- stories ------------------------------------------------------------------------------
def stories(
    store: Store,
    options: object = None,
    embed: bool = False,
    workers: int | None = None,
    progress: Progress | None = None,
) -> int:
    """Cluster every article into stories (rebuilt from scratch: deterministic).

    Each story is stored as soon as the clusterer closes it, inside one transaction, so
    memory holds the open stories only and a failure leaves the previous stories intact.
    Returns how many stories were stored.
    """
    import functools

    from storytrace.stories.cluster import (
        EMBEDDING_OPTIONS,
        StoryClusterer,
        StoryOptions,
        Vocabulary,
        document_frequencies,
        featurize,
    )

    if isinstance(options, StoryOptions):
        opts = options
    else:
        opts = EMBEDDING_OPTIONS if embed else StoryOptions()

    def rows() -> Iterator[list[tuple[str, str, str, str | None]]]:
        for batch in store.iter_articles():
            yield [(a.id, a.title, a.text, a.published) for a in batch]

    df: Counter[str] = Counter()
    for counts in run_stage(functools.partial(document_frequencies, options=opts), rows(), workers):
        df.update(counts)
    n_docs = store.count()
    vocabulary = Vocabulary(df, n_docs).pruned()
    del df
    clusterer = StoryClusterer(opts)
    stage = functools.partial(featurize, options=opts)
    stored = 0
    with store.transaction():  # the old stories stay until the new ones are all stored
        store.clear_stories()
        for batch_features in run_stage(stage, rows(), workers, shared=vocabulary):
            if embed:
                batch_features = _with_embeddings(store, batch_features)
            for f in batch_features:
                clusterer.add(f)
            stored += _store_stories(store, clusterer.pop_closed())
            if progress:
                progress(len(batch_features))
        stored += _store_stories(store, clusterer.finish())
    return stored


def _store_stories(store: Store, groups: list[tuple[list[str], list[float], list[str]]]) -> int:
    """Turn closed clusters into Stories (members in publication order) and store them."""
    meta = store.meta_of([i for members, _, _ in groups for i in members])
    built: list[Story] = []
    scores: dict[str, float] = {}
    for members, member_scores, keywords in groups:
        first = meta[members[0]]
        by_time = sorted(
            members, key=lambda m: (meta[m]["published"] is None, meta[m]["published"] or "", m)
        )
        dates = [meta[m]["published"] for m in by_time if meta[m]["published"]]
        outlets = dict.fromkeys(meta[m]["outlet"] for m in by_time if meta[m]["outlet"])
        story_id = "s" + hashlib.sha256("\n".join(sorted(members)).encode()).hexdigest()[:10]
        built.append(
            Story(
                story_id,
                first["title"] or members[0],
                tuple(by_time),
                tuple(keywords),
                dates[0] if dates else None,
                dates[-1] if dates else None,
                tuple(outlets),
            )
        )
        scores.update(zip(members, member_scores, strict=True))
    store.add_stories(built, scores)
    return len(built)


def _with_embeddings(store: Store, features: list) -> list:
    from storytrace.embed import encode

    texts = []
    for batch in store.iter_articles(ids=[f.id for f in features]):
        texts += [f"{a.title}\n{' '.join(a.text.split()[:100])}" for a in batch]
    vectors = encode(texts)
    return [replace(f, embedding=v) for f, v in zip(features, vectors, strict=True)]


# -- quotes -------------------------------------------------------------------------------
def quotes(store: Store, progress: Progress | None = None) -> int:
    """Find quotes, named entities and their descriptors in every article not yet analysed."""
    from storytrace.nlp.descriptors import descriptors_for
    from storytrace.nlp.entities import NAMED, entities_from_doc
    from storytrace.nlp.pipeline import parse
    from storytrace.nlp.quotes import quotes_from_doc

    ids = store.unquoted_ids()
    done = 0
    for batch in store.iter_articles(batch=64, ids=ids):
        docs = parse([a.text for a in batch])
        with store.transaction():
            for article, doc in zip(batch, docs, strict=True):
                named = [e for e in entities_from_doc(doc) if e.label in NAMED]
                store.replace_quotes(article.id, quotes_from_doc(doc), descriptors_for(doc, named))
        done += len(batch)
        if progress:
            progress(len(batch))
    return done


def cpu_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))
