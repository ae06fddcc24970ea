"""Story (event) clustering on ECB+ dev and NewsWCL50: cross-validated, next to a baseline.

    python benchmarks/stories.py [--quick]

ECB+ dev holds topics 1-25 (23 present); each topic has two confusable seminal events
(``..ecb.xml`` and ``..ecbplus.xml``), so the gold cluster of a document is topic + suffix.
All documents are clustered together in one run, as a corpus would be, through the same
jobs ``storytrace run`` runs (near-duplicates and reuse once, then the story job for each
candidate option set, on the local engine).

Selection is leave-topics-out cross-validation: the 23 topics fall into 5 folds (by their
number, round robin); for each fold the option set with the best BCubed F1 on the other
four folds' topics is chosen and scored on the fold's own topics. The mean and the spread
over folds are reported, and the same is done for the baseline (TF-IDF cosine +
agglomerative clustering with complete linkage, its distance threshold chosen on the same
training topics). NewsWCL50 (10 events x 5 outlets) is never tuned on: it is scored with
the option set chosen on all 23 topics. Neither set carries dates, so every document is in
the undated block and the time window plays no part. Metrics: BCubed P/R/F1 and ARI.
"""

from __future__ import annotations

import argparse
import itertools
import re
import shutil
import statistics
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pyarrow as pa
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import adjusted_rand_score

from _shared import DATA, need, write_result
from storytrace.engine.local import LocalEngine
from storytrace.model import content_id
from storytrace.pipeline import jobs, schemas
from storytrace.stories.cluster import StoryOptions, Vocabulary, document_frequencies, featurize

Doc = tuple[str, str, str, str]  # id, gold event, title, text
FOLDS = 5


def read_ecb() -> list[Doc]:
    docs = []
    for path in sorted(need(DATA / "ecbplus-dev" / "ECB+").glob("*/*.xml")):
        xml = path.read_text(encoding="utf-8")
        sentences: dict[int, list[str]] = {}
        for sent, word in re.findall(r'<token [^>]*sentence="(\d+)"[^>]*>([^<]*)</token>', xml):
            sentences.setdefault(int(sent), []).append(word)
        lines = [" ".join(w) for _, w in sorted(sentences.items())]
        plus = path.stem.endswith("ecbplus")
        if plus:
            lines = lines[1:]  # sentence 0 of an ECB+ file is its source URL, tokenised
        topic = path.parent.name
        event = f"{topic}-{'plus' if plus else 'ecb'}"
        # many ECB files hold one sentence only: it is both the headline and the text
        docs.append((path.stem, event, lines[0] if lines else "", "\n".join(lines)))
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


class PipelineClusterer:
    """One document set through the pipeline: reading settled once, reuse found once, the
    story job run again for each option set (it is the only part the options change)."""

    def __init__(self, docs: list[Doc], workers: int = 1) -> None:
        self.docs = docs
        self.folder = Path(tempfile.mkdtemp(prefix="st-stories-"))
        self.rows = [
            {
                "id": content_id(text),
                "record_id": doc_id,
                "source": doc_id,
                "url": None,
                "outlet": None,
                "title": title,
                "published": None,
                "language": "en",
                "authors": [],
                "stripped": [],
                "meta": "{}",
                "text": text,
                "words": len(text.split()),
            }
            for doc_id, _, title, text in docs
        ]
        self.workers = workers
        engine = LocalEngine(self.folder / "base", workers=workers)
        self.articles = engine.source(
            "articles", pa.Table.from_pylist(self.rows, schema=schemas.ARTICLES)
        )
        groups, _ = jobs.dedup(engine, self.articles)
        self.passages, _ = jobs.reuse(engine, self.articles, groups)
        self.runs = 0

    def labels(self, options: StoryOptions) -> list[int]:
        self.runs += 1
        engine = LocalEngine(self.folder / f"run{self.runs}", workers=self.workers)
        _, members = jobs.stories(engine, self.articles, self.passages, options)
        story_of = {m["article_id"]: m["story_id"] for m in engine.collect(members).to_pylist()}
        shutil.rmtree(self.folder / f"run{self.runs}", ignore_errors=True)
        names = {s: n for n, s in enumerate(sorted(set(story_of.values())))}
        return [names[story_of[r["id"]]] for r in self.rows]

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def baseline_labels(docs: list[Doc], threshold: float) -> list[int]:
    tfidf = TfidfVectorizer(sublinear_tf=True, stop_words="english").fit_transform(
        [f"{d[2]}\n{d[3]}" for d in docs]
    )
    model = AgglomerativeClustering(
        n_clusters=None, metric="cosine", linkage="complete", distance_threshold=threshold
    )
    return model.fit_predict(tfidf.toarray()).tolist()


def pair_scores(docs: list[Doc], name_weight: float) -> np.ndarray:
    """Storytrace's own evidence for every pair of documents: the cosine of their TF-IDF
    vectors plus ``name_weight`` x the mean share of each one's name weight the other
    holds (the clusterer's fit of an article to a one-article story, made symmetric)."""
    options = StoryOptions()
    batch = [(str(n), d[2], d[3], None) for n, d in enumerate(docs)]
    vocab = Vocabulary(document_frequencies(batch, options), len(batch), options.idf_prior)
    feats = featurize(batch, vocab.pruned(), options)
    scores = np.zeros((len(docs), len(docs)))
    for i, a in enumerate(feats):
        for j in range(i + 1, len(feats)):
            b = feats[j]
            cosine = sum(w * b.terms.get(t, 0.0) for t, w in a.terms.items())
            shared = a.names.keys() & b.names.keys()
            shares = [
                sum(f.names[x] for x in shared) / (sum(f.names.values()) or 1.0) for f in (a, b)
            ]
            scores[i, j] = scores[j, i] = cosine + name_weight * sum(shares) / 2
    return scores


def linkage_labels(scores: np.ndarray, threshold: float) -> list[int]:
    """Complete-linkage clusters whose every pair scores at least ``threshold``."""
    distance = scores.max() + 1.0 - scores
    np.fill_diagonal(distance, 0.0)
    model = AgglomerativeClustering(
        n_clusters=None,
        metric="precomputed",
        linkage="complete",
        distance_threshold=scores.max() + 1.0 - threshold,
    )
    return model.fit_predict(distance).tolist()


def topic_of(doc: Doc) -> int:
    return int(doc[1].split("-")[0])


def folds_of(docs: list[Doc]) -> list[set[int]]:
    topics = sorted({topic_of(d) for d in docs})
    return [set(topics[i::FOLDS]) for i in range(FOLDS)]


def restricted(docs: list[Doc], labels: list[int], topics: set[int]) -> dict[str, float]:
    keep = [n for n, d in enumerate(docs) if topic_of(d) in topics]
    return score([docs[n] for n in keep], [labels[n] for n in keep])


def cross_validate(docs: list[Doc], candidates: dict[str, list[int]]) -> dict[str, object]:
    """For each fold: the candidate best on the other folds, scored on this fold."""
    folds = folds_of(docs)
    every = set().union(*folds)
    per_fold = []
    for n, test in enumerate(folds):
        train = every - test
        chosen = max(
            sorted(candidates), key=lambda c: restricted(docs, candidates[c], train)["bcubed_f1"]
        )
        result = restricted(docs, candidates[chosen], test)
        per_fold.append({"fold": n, "topics": sorted(test), "chosen": chosen, **result})
    f1 = [r["bcubed_f1"] for r in per_fold]
    return {
        "folds": per_fold,
        "mean_f1": round(statistics.mean(f1), 4),
        "sd_f1": round(statistics.stdev(f1), 4),
        "min_f1": min(f1),
        "mean_p": round(statistics.mean(r["bcubed_p"] for r in per_fold), 4),
        "mean_r": round(statistics.mean(r["bcubed_r"] for r in per_fold), 4),
        "mean_ari": round(statistics.mean(r["ari"] for r in per_fold), 4),
        "chosen_on_all": max(
            sorted(candidates), key=lambda c: restricted(docs, candidates[c], every)["bcubed_f1"]
        ),
    }


def grid(quick: bool) -> dict[str, StoryOptions]:
    """The option sets cross-validation chooses among: the fit threshold, the weight of
    shared names and of sentence embeddings, and the background-document prior of idf."""
    thresholds = (0.3, 0.4, 0.5) if quick else (0.3, 0.35, 0.4, 0.45, 0.5)
    names = (0.2, 0.4, 0.6)
    priors = (0, 300) if quick else (0, 300, 1000)
    embeddings = (0.0,)  # sentence embeddings are evidence too (EMBEDDING_OPTIONS), not tuned here
    out = {}
    for threshold, name_weight, prior, embedding in itertools.product(
        thresholds, names, priors, embeddings
    ):
        options = replace(
            StoryOptions(),
            threshold=threshold + embedding,  # embedding evidence adds about its weight to a fit
            name_weight=name_weight,
            idf_prior=prior,
            embedding_weight=embedding,
        )
        out[f"t={threshold} names={name_weight} prior={prior} embed={embedding}"] = options
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smaller grid")
    args = parser.parse_args()
    ecb, wcl = read_ecb(), read_wcl()
    options = grid(args.quick)
    ecb_runs, wcl_runs = PipelineClusterer(ecb), PipelineClusterer(wcl)
    try:
        candidates = {name: ecb_runs.labels(o) for name, o in options.items()}
        defaults = ecb_runs.labels(StoryOptions())
        storytrace = cross_validate(ecb, candidates)
        chosen = options[storytrace["chosen_on_all"]]
        wcl_chosen = score(wcl, wcl_runs.labels(chosen))
        wcl_defaults = score(wcl, wcl_runs.labels(StoryOptions()))
    finally:
        ecb_runs.close()
        wcl_runs.close()
    thresholds = [round(float(t), 2) for t in np.arange(0.5, 1.0, 0.02)]
    base = {f"threshold={t}": baseline_labels(ecb, t) for t in thresholds}
    baseline = cross_validate(ecb, base)
    base_t = float(baseline["chosen_on_all"].split("=")[1])
    # the same evidence, clustered all at once by complete linkage (every pair of a story must
    # score at least the threshold): quadratic in the corpus, so a yardstick, not a method
    linkage, linkage_options = {}, {}
    for name_weight in (0.2, 0.4, 0.8):
        ecb_scores = pair_scores(ecb, name_weight)
        for t in np.arange(0.05, 0.40, 0.025):
            key = f"names={name_weight} threshold={round(float(t), 3)}"
            linkage[key] = linkage_labels(ecb_scores, float(t))
            linkage_options[key] = (name_weight, float(t))
    linkage_cv = cross_validate(ecb, linkage)
    wcl_weight, wcl_t = linkage_options[linkage_cv["chosen_on_all"]]
    linkage_wcl = score(wcl, linkage_labels(pair_scores(wcl, wcl_weight), wcl_t))
    figures = {
        "ecb_docs": len(ecb),
        "feature_linkage_cv": linkage_cv,
        "feature_linkage_newswcl50": linkage_wcl,
        "wcl_docs": len(wcl),
        "storytrace_cv": storytrace,
        "baseline_cv": baseline,
        "storytrace_defaults_ecb": {
            "per_fold": [restricted(ecb, defaults, fold)["bcubed_f1"] for fold in folds_of(ecb)],
            "all": score(ecb, defaults),
        },
        "ahead_of_baseline_per_fold": [
            round(a["bcubed_f1"] - b["bcubed_f1"], 4)
            for a, b in zip(storytrace["folds"], baseline["folds"], strict=True)
        ],
        "newswcl50": {
            "chosen": wcl_chosen,
            "defaults": wcl_defaults,
            "baseline": score(wcl, baseline_labels(wcl, base_t)),
        },
    }
    print(
        "storytrace",
        storytrace["mean_f1"],
        "+-",
        storytrace["sd_f1"],
        "baseline",
        baseline["mean_f1"],
        "+-",
        baseline["sd_f1"],
    )
    write_result(
        "stories", figures, "python benchmarks/stories.py" + (" --quick" if args.quick else "")
    )


if __name__ == "__main__":
    main()
