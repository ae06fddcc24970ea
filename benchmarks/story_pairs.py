"""How well does each kind of story evidence tell apart the two events of one ECB+ topic?

    python benchmarks/story_pairs.py

Every ECB+ dev topic holds two confusable events of the same kind. For every pair of
documents of one topic, this scores the evidence the story clusterer has (cosine of the
TF-IDF vectors, shared name weight), the sentence embeddings of title and lead, and years
written in the head of the text, and reports the area under the ROC curve for telling a
same-event pair from a pair of the topic's two events. A logistic model over several kinds
at once is fitted on four folds of topics and scored on the fifth (the folds of
benchmarks/stories.py). The question is whether clustering can improve by tuning, or only
by new evidence: when no combination of the evidence separates the pairs, no threshold on
it will.
"""

from __future__ import annotations

import itertools
import re
import statistics

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from _shared import cached_vectors, write_result
from stories import folds_of, read_ecb, topic_of
from storytrace.stories.cluster import StoryOptions, Vocabulary, document_frequencies, featurize

YEAR = re.compile(r"\b(?:19[89]\d|20[0-3]\d)\b")
KINDS = ["cosine", "names", "embedding", "shared_year", "years_differ"]


def _share(a: dict[str, float], b: dict[str, float]) -> float:
    shared = a.keys() & b.keys()
    return (
        sum(a[x] for x in shared) / (sum(a.values()) or 1.0)
        + sum(b[x] for x in shared) / (sum(b.values()) or 1.0)
    ) / 2


def main() -> None:
    docs = read_ecb()
    options = StoryOptions()
    batch = [(str(n), d[2], d[3], None) for n, d in enumerate(docs)]
    vocab = Vocabulary(document_frequencies(batch, options), len(batch), options.idf_prior)
    feats = featurize(batch, vocab.pruned(), options)
    heads = [f"{d[2]}\n{' '.join(d[3].split()[:100])}" for d in docs]
    vectors = cached_vectors("stories-ecb-heads", heads)
    years = [set(YEAR.findall(" ".join(d[3].split()[: options.head_words]))) for d in docs]
    rows, same, topics = [], [], []
    for i, j in itertools.combinations(range(len(docs)), 2):
        if topic_of(docs[i]) != topic_of(docs[j]):
            continue
        a, b = feats[i], feats[j]
        rows.append(
            [
                sum(w * b.terms.get(t, 0.0) for t, w in a.terms.items()),
                _share(a.names, b.names),
                float(vectors[i] @ vectors[j]),
                float(bool(years[i] & years[j])),
                float(bool(years[i] and years[j] and not years[i] & years[j])),
            ]
        )
        same.append(docs[i][1] == docs[j][1])
        topics.append(topic_of(docs[i]))
    x, y, t = np.array(rows), np.array(same), np.array(topics)
    single = {k: round(float(roc_auc_score(y, x[:, n])), 4) for n, k in enumerate(KINDS)}
    combined = {}
    for kinds in (
        ["cosine", "names"],
        ["cosine", "names", "embedding"],
        ["cosine", "names", "shared_year", "years_differ"],
        KINDS,
    ):
        cols = [KINDS.index(k) for k in kinds]
        per_fold = []
        for fold in folds_of(docs):
            train = ~np.isin(t, sorted(fold))
            model = LogisticRegression(C=10.0).fit(x[train][:, cols], y[train])
            scores = model.decision_function(x[~train][:, cols])
            per_fold.append(round(float(roc_auc_score(y[~train], scores)), 4))
        combined["+".join(kinds)] = {
            "per_fold": per_fold,
            "mean": round(statistics.mean(per_fold), 4),
            "sd": round(statistics.stdev(per_fold), 4),
        }
    figures = {
        "pairs": len(y),
        "same_event_share": round(float(y.mean()), 4),
        "pairs_with_a_shared_year": round(float(x[:, 3].mean()), 4),
        "same_event_when_a_year_is_shared": round(float(y[x[:, 3] == 1].mean()), 4),
        "auc_single": single,
        "auc_logistic_leave_topics_out": combined,
    }
    print(single, {k: v["mean"] for k, v in combined.items()})
    write_result("story_pairs", figures, "python benchmarks/story_pairs.py")


if __name__ == "__main__":
    main()
