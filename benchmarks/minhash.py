"""MinHash + LSH near-duplicate detection: storytrace next to datasketch and rensa.

    python benchmarks/minhash.py [--docs 20000] [--repeat 3] [--batch 500]

A generated set of news-like texts (made-up words, ~300 words each) where one text in ten
has a planted near-copy (a few words replaced, inserted or deleted, sometimes a sentence
dropped) and one in fifty an exact copy. Measured per library on the same texts, one core:

- signing: texts per second from raw text to a 128-value signature, word 5-gram shingling
  included (datasketch and rensa shingle in Python, as their users do); the best of
  ``--repeat`` runs, by wall clock and by CPU time of this process, so that other jobs on a
  shared machine slow the figures less. storytrace signs ``--batch`` texts per call, as
  ``storytrace dedup`` does (it reads articles 500 at a time); 200 and 1000 are shown too;
- search: LSH candidate pairs at threshold 0.7, then verification by estimated Jaccard;
- quality: precision and recall of the found pairs against the pairs whose true word-5-gram
  Jaccard is at least 0.7 (computed exactly from the shingle sets).
"""

from __future__ import annotations

import argparse
import functools
import os
import random
import time
from collections import defaultdict
from collections.abc import Callable
from itertools import combinations

import numpy as np

from _shared import write_result

THRESHOLD = 0.7
K = 5


def _vocabulary(rng: random.Random, size: int = 20000) -> list[str]:
    parts = [
        "ka",
        "lo",
        "mer",
        "tin",
        "sa",
        "vel",
        "or",
        "ut",
        "dra",
        "pe",
        "qui",
        "son",
        "ber",
        "al",
        "ri",
        "ne",
    ]
    return sorted(
        {"".join(rng.choice(parts) for _ in range(rng.randint(1, 4))) for _ in range(size * 2)}
    )[:size]


def generate(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    vocab = _vocabulary(rng)
    weights = [1 / (r + 1) for r in range(len(vocab))]  # Zipf-like word frequencies
    docs: list[str] = []
    while len(docs) < n:
        words = rng.choices(vocab, weights, k=rng.randint(250, 350))
        sentences = [" ".join(words[i : i + 20]) + "." for i in range(0, len(words), 20)]
        docs.append(" ".join(sentences))
        roll = rng.random()
        if roll < 0.1 and len(docs) < n:
            copy = [s.split() for s in sentences]
            if rng.random() < 0.3 and len(copy) > 3:
                copy.pop(rng.randrange(len(copy)))
            flat = [w for s in copy for w in s]
            for _ in range(rng.randint(1, 6)):
                i = rng.randrange(len(flat))
                action = rng.random()
                if action < 0.4:
                    flat[i] = rng.choice(vocab)
                elif action < 0.7:
                    flat.insert(i, rng.choice(vocab))
                else:
                    flat.pop(i)
            docs.append(" ".join(flat))
        elif roll < 0.12 and len(docs) < n:
            docs.append(docs[-1])
    return docs


def shingle_set(text: str) -> set[str]:
    words = text.lower().replace(".", " ").split()
    return {" ".join(words[i : i + K]) for i in range(max(1, len(words) - K + 1))}


def true_pairs(docs: list[str]) -> set[tuple[int, int]]:
    """Pairs with exact Jaccard >= THRESHOLD, found via shared shingles (exact, not sampled)."""
    sets = [shingle_set(d) for d in docs]
    index: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(sets):
        for sh in s:
            index[sh].append(i)
    shared: dict[tuple[int, int], int] = defaultdict(int)
    for ids in index.values():
        if 1 < len(ids) < 50:
            for pair in combinations(ids, 2):
                shared[pair] += 1
    return {
        (i, j) for (i, j), c in shared.items() if c / (len(sets[i]) + len(sets[j]) - c) >= THRESHOLD
    }


def _score(found: set[tuple[int, int]], truth: set[tuple[int, int]]) -> dict[str, float]:
    tp = len(found & truth)
    return {
        "precision": round(tp / len(found), 4) if found else 0.0,
        "recall": round(tp / len(truth), 4) if truth else 0.0,
    }


def sign_storytrace(docs: list[str], batch: int = 500) -> np.ndarray:
    from storytrace.dedup import signatures

    return np.concatenate(
        [signatures(docs[i : i + batch], K, 128) for i in range(0, len(docs), batch)]
    )


def search_storytrace(sig: np.ndarray) -> set[tuple[int, int]]:
    from storytrace.dedup import band_keys, band_params

    bands, rows = band_params(THRESHOLD)
    keys = band_keys(sig, bands, rows)
    found = set()
    for b in range(bands):
        order = np.argsort(keys[:, b], kind="stable")
        col = keys[order, b]
        edges = np.flatnonzero(np.diff(col)) + 1
        for group in np.split(order, edges):
            if len(group) > 1:
                for i, j in combinations(sorted(group.tolist()), 2):
                    if (i, j) not in found and np.mean(sig[i] == sig[j]) >= THRESHOLD:
                        found.add((i, j))
    return found


def sign_datasketch(docs: list[str]) -> list:
    from datasketch import MinHash

    sigs = []
    for d in docs:
        m = MinHash(num_perm=128, seed=1)
        m.update_batch([s.encode() for s in shingle_set(d)])
        sigs.append(m)
    return sigs


def search_datasketch(sigs: list) -> set[tuple[int, int]]:
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=128)
    found = set()
    for i, m in enumerate(sigs):
        for j in lsh.query(m):
            if sigs[j].jaccard(m) >= THRESHOLD:
                found.add((j, i))
        lsh.insert(i, m)
    return found


def sign_rensa(docs: list[str]) -> list:
    from rensa import RMinHash

    sigs = []
    for d in docs:
        m = RMinHash(num_perm=128, seed=1)
        m.update(list(shingle_set(d)))
        sigs.append(m)
    return sigs


def search_rensa(sigs: list) -> set[tuple[int, int]]:
    from rensa import RMinHashLSH

    lsh = RMinHashLSH(threshold=THRESHOLD, num_perm=128, num_bands=16)
    found = set()
    for i, m in enumerate(sigs):
        for j in lsh.query(m):
            if sigs[j].jaccard(m) >= THRESHOLD:
                found.add((j, i))
        lsh.insert(i, m)
    return found


def best_of(fn: Callable[[], object], repeat: int) -> tuple[object, float, float]:
    """(result, fastest wall seconds, fastest CPU seconds) over ``repeat`` calls."""
    wall = cpu = float("inf")
    result = None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = fn()
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    return result, wall, cpu


LIBRARIES = {
    "storytrace": (sign_storytrace, search_storytrace),
    "datasketch": (sign_datasketch, search_datasketch),
    "rensa": (sign_rensa, search_rensa),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=3, help="signing runs; the best counts")
    parser.add_argument("--batch", type=int, default=500, help="texts per storytrace call")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core for everyone
    docs = generate(args.docs)
    truth = true_pairs(docs)
    words = sum(len(d.split()) for d in docs) / len(docs)
    figures: dict[str, object] = {
        "docs": len(docs),
        "mean_words": round(words, 1),
        "true_pairs": len(truth),
        "threshold": THRESHOLD,
        "shingle_words": K,
    }
    for name, (sign, search) in LIBRARIES.items():
        extra = (args.batch,) if name == "storytrace" else ()
        run = functools.partial(sign, docs, *extra)
        sigs, sign_s, sign_cpu = best_of(run, args.repeat)
        start = time.perf_counter()
        found = search(sigs)
        search_s = time.perf_counter() - start
        figures[name] = {
            "sign_docs_per_s": round(len(docs) / sign_s),
            "sign_docs_per_cpu_s": round(len(docs) / sign_cpu),
            "search_docs_per_s": round(len(docs) / search_s),
            "pairs_found": len(found),
            **_score(found, truth),
        }
        print(name, figures[name], flush=True)
    by_batch = {}
    for batch in (200, 500, 1000):
        _, wall, cpu = best_of(functools.partial(sign_storytrace, docs, batch), args.repeat)
        by_batch[str(batch)] = {
            "docs_per_s": round(len(docs) / wall),
            "docs_per_cpu_s": round(len(docs) / cpu),
        }
    figures["storytrace_sign_by_batch"] = by_batch
    print("storytrace by batch", by_batch, flush=True)
    write_result(
        "minhash",
        figures,
        f"python benchmarks/minhash.py --docs {args.docs} --repeat {args.repeat} --batch {args.batch}",
    )


if __name__ == "__main__":
    main()
