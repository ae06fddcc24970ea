"""Story (event) clustering quality on ECB+ dev and NewsWCL50, next to a TF-IDF baseline.

    python benchmarks/stories.py

ECB+ dev holds topics 1-25 (23 present); each topic has two confusable seminal events
(``..ecb.xml`` and ``..ecbplus.xml``), so the gold cluster of a document is topic + suffix.
All documents are clustered together in one run, as a corpus would be. Options are tuned on
topics 1-12 and reported on topics 13-25 (and on all); NewsWCL50 (10 events x 5 outlets) is
reported with the same options, never tuned on. Neither set carries publication dates, so
the time window plays no part here: the documents stream in name order.

The shipped defaults (``StoryOptions()`` and ``EMBEDDING_OPTIONS``) are reported too.

Baseline in the same run: TF-IDF cosine + agglomerative clustering with complete linkage,
its distance threshold tuned on the same topics. Metrics: BCubed precision/recall/F1 and
the adjusted Rand index.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import replace

import numpy as np
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import adjusted_rand_score

from _shared import DATA, need, write_result
from storytrace.stories.cluster import (
    EMBEDDING_OPTIONS,
    Features,
    StoryOptions,
    Vocabulary,
    cluster,
    document_frequencies,
    featurize,
)

Doc = tuple[str, str, str, str]  # id, gold event, title, text


def read_ecb() -> list[Doc]:
    docs = []
    for path in sorted(need(DATA / "ecbplus-dev" / "ECB+").glob("*/*.xml")):
        xml = path.read_text(encoding="utf-8")
        sentences: dict[int, list[str]] = {}
        for sent, word in re.findall(r'<token [^>]*sentence="(\d+)"[^>]*>([^<]*)</token>', xml):
            sentences.setdefault(int(sent), []).append(word)
        lines = [" ".join(w) for _, w in sorted(sentences.items())]
        topic = path.parent.name
        event = f"{topic}-{'plus' if path.stem.endswith('ecbplus') else 'ecb'}"
        docs.append((path.stem, event, lines[0] if lines else "", "\n".join(lines[1:])))
    return docs


def read_wcl() -> list[Doc]:
    words: dict[str, dict[int, list[str]]] = {}
    for line in (
        need(DATA / "newswcl50" / "NewsWCL50.conll").read_text(encoding="utf-8").splitlines()
    ):
        parts = line.split("\t")
        if len(parts) < 4 or line.startswith("#"):
            continue
        words.setdefault(parts[0], {}).setdefault(int(parts[1]), []).append(parts[3])
    docs = []
    for doc_id, sentences in sorted(words.items()):
        lines = [" ".join(w) for _, w in sorted(sentences.items())]
        docs.append((doc_id, doc_id.split("/")[0], lines[0], "\n".join(lines[1:])))
    return docs


def bcubed(gold: list[str], pred: list[int]) -> tuple[float, float, float]:
    n = len(gold)
    p = r = 0.0
    for i in range(n):
        same_pred = {j for j in range(n) if pred[j] == pred[i]}
        same_gold = {j for j in range(n) if gold[j] == gold[i]}
        both = len(same_pred & same_gold)
        p += both / len(same_pred)
        r += both / len(same_gold)
    p, r = p / n, r / n
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


def score(docs: list[Doc], labels: list[int]) -> dict[str, float]:
    gold = [d[1] for d in docs]
    p, r, f = bcubed(gold, labels)
    return {
        "bcubed_p": round(p, 4),
        "bcubed_r": round(r, 4),
        "bcubed_f1": round(f, 4),
        "ari": round(adjusted_rand_score(gold, labels), 4),
        "clusters": len(set(labels)),
        "gold_clusters": len(set(gold)),
    }


def features_of(docs: list[Doc], options: StoryOptions) -> list[Features]:
    """Features of one document set (they do not depend on weights or threshold)."""
    batch = [(d[0], d[2], d[3], None) for d in docs]
    vocabulary = Vocabulary(document_frequencies(batch, options), len(docs))
    return featurize(batch, vocabulary, options)


def storytrace_labels(
    docs: list[Doc], feats: list[Features], options: StoryOptions, vectors: np.ndarray | None
) -> list[int]:
    if vectors is not None:
        feats = [replace(f, embedding=v) for f, v in zip(feats, vectors, strict=True)]
    groups = cluster(feats, options)
    where = {i: n for n, members in enumerate(groups) for i in members}
    return [where[d[0]] for d in docs]


def baseline_labels(docs: list[Doc], threshold: float) -> list[int]:
    tfidf = TfidfVectorizer(sublinear_tf=True, stop_words="english").fit_transform(
        [f"{d[2]}\n{d[3]}" for d in docs]
    )
    model = AgglomerativeClustering(
        n_clusters=None, metric="cosine", linkage="complete", distance_threshold=threshold
    )
    return model.fit_predict(tfidf.toarray()).tolist()


def _subset(docs: list[Doc], topics: range) -> list[Doc]:
    return [d for d in docs if int(d[1].split("-")[0]) in topics]


def main() -> None:
    from storytrace.embed import encode

    ecb, wcl = read_ecb(), read_wcl()
    tune, held = range(1, 13), range(13, 26)
    vec = {
        id(s): encode([f"{d[2]}\n{' '.join(d[3].split()[:100])}" for d in s]) for s in (ecb, wcl)
    }

    def run_on(
        docs: list[Doc], base: list[Doc], options: StoryOptions, emb: bool
    ) -> dict[str, float]:
        vectors = vec[id(base)] if emb else None
        labels = storytrace_labels(base, feats[id(base)], options, vectors)
        wanted = set(docs)
        keep = [n for n, d in enumerate(base) if d in wanted]
        return score([base[n] for n in keep], [labels[n] for n in keep])

    feats = {id(s): features_of(s, StoryOptions()) for s in (ecb, wcl)}
    figures: dict[str, object] = {"ecb_docs": len(ecb), "wcl_docs": len(wcl)}
    ecb_tune = _subset(ecb, tune)
    for emb in (False, True):
        best, best_f = None, -1.0
        grid = itertools.product(
            (0.1, 0.15, 0.2, 0.25, 0.3, 0.35),
            (0.0, 0.1, 0.25, 0.5),
            (0.3, 0.6, 1.0) if emb else (0.0,),
        )
        for threshold, names, emb_w in grid:
            options = StoryOptions(
                threshold=threshold + (0.3 * emb_w if emb else 0),
                name_weight=names,
                embedding_weight=emb_w,
            )
            f = run_on(ecb_tune, ecb, options, emb)["bcubed_f1"]
            if f > best_f:
                best, best_f = options, f
        assert best is not None
        tag = "storytrace_embed" if emb else "storytrace"
        figures[tag] = {
            "options": {
                "threshold": best.threshold,
                "name_weight": best.name_weight,
                "embedding_weight": best.embedding_weight,
            },
            "ecb_tune_1_12": run_on(ecb_tune, ecb, best, emb),
            "ecb_held_13_25": run_on(_subset(ecb, held), ecb, best, emb),
            "ecb_all": run_on(ecb, ecb, best, emb),
            "newswcl50": run_on(wcl, wcl, best, emb),
        }
        print(tag, figures[tag], flush=True)
    for tag, options, emb in (
        ("defaults", StoryOptions(), False),
        ("defaults_embed", EMBEDDING_OPTIONS, True),
    ):
        figures[tag] = {
            "ecb_tune_1_12": run_on(ecb_tune, ecb, options, emb),
            "ecb_held_13_25": run_on(_subset(ecb, held), ecb, options, emb),
            "newswcl50": run_on(wcl, wcl, options, emb),
        }
        print(tag, figures[tag], flush=True)
    best_t, best_f = 0.0, -1.0
    for threshold in np.arange(0.5, 1.0, 0.02):
        labels = baseline_labels(ecb, float(threshold))
        keep = [n for n, d in enumerate(ecb) if int(d[1].split("-")[0]) in tune]
        f = score([ecb[n] for n in keep], [labels[n] for n in keep])["bcubed_f1"]
        if f > best_f:
            best_t, best_f = float(threshold), f
    labels = baseline_labels(ecb, best_t)

    def sub(topics: range) -> dict[str, float]:
        keep = [n for n, d in enumerate(ecb) if int(d[1].split("-")[0]) in topics]
        return score([ecb[n] for n in keep], [labels[n] for n in keep])

    figures["tfidf_complete_linkage"] = {
        "threshold": round(best_t, 2),
        "ecb_tune_1_12": sub(tune),
        "ecb_held_13_25": sub(held),
        "ecb_all": sub(range(1, 26)),
        "newswcl50": score(wcl, baseline_labels(wcl, best_t)),
    }
    print("baseline", figures["tfidf_complete_linkage"], flush=True)
    write_result("stories", figures, "python benchmarks/stories.py")


if __name__ == "__main__":
    main()
