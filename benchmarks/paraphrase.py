"""Paraphrase F1 on MRPC, sentence similarity on STS-B, and the fit of the paraphrase model.

    python benchmarks/paraphrase.py          report figures with the shipped weights
    python benchmarks/paraphrase.py --fit    refit the weights, then report

The logistic model is fitted on STS-B *train* (pairs rated 3.5 or more of 5 count as saying
the same thing); its in-article threshold is the F1-best one on out-of-fold predictions
there. MRPC train (../shared/data/mrpc) is split once with a fixed seed: the MRPC decision
threshold is chosen on 70% and F1 is reported on the other 30%. STS-B dev is only reported.
Baselines in the same run: MiniLM cosine and TF-IDF cosine (thresholds chosen on the same
70%), and "everything is a paraphrase".
"""

from __future__ import annotations

import argparse
import csv
import json

import numpy as np
from scipy.stats import spearmanr
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import cross_val_predict, train_test_split

from _shared import DATA, ROOT, cached_units, need, write_result
from storytrace.align import AlignOptions, paraphrase
from storytrace.text.tokens import word_keys

MODEL_PATH = ROOT / "src" / "storytrace" / "align" / "paraphrase_model.json"
STS_SAME = 3.5


def read_mrpc() -> tuple[list[str], list[str], np.ndarray]:
    path = need(DATA / "mrpc" / "msr_paraphrase_train.txt")
    a, b, y = [], [], []
    with path.open(encoding="utf-8-sig") as handle:
        rows = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(rows)
        for row in rows:
            if len(row) == 5:
                y.append(int(row[0]))
                a.append(row[3])
                b.append(row[4])
    return a, b, np.asarray(y)


def read_sts(split: str) -> tuple[list[str], list[str], np.ndarray, list[str]]:
    path = need(DATA / "stsbenchmark" / f"sts-{split}.csv")
    a, b, score, genre = [], [], [], []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            cols = line.rstrip("\n").split("\t")
            if len(cols) >= 7:
                genre.append(cols[1])
                score.append(float(cols[4]))
                a.append(cols[5])
                b.append(cols[6])
    return a, b, np.asarray(score), genre


def best_threshold(scores: np.ndarray, y: np.ndarray) -> float:
    candidates = np.unique(np.quantile(scores, np.linspace(0.01, 0.99, 197)))
    f1s = [f1_score(y, scores >= t) for t in candidates]
    return float(candidates[int(np.argmax(f1s))])


def features(name: str, a: list[str], b: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Feature matrix and plain cosines for sentence pairs (vectors cached per data set)."""
    va, pa = cached_units(f"{name}_a", a)
    vb, pb = cached_units(f"{name}_b", b)
    cos = np.sum(va * vb, axis=1)
    rows = [
        paraphrase.pair_features(word_keys(x), word_keys(z), float(c), paraphrase.token_match(p, q))
        for x, z, c, p, q in zip(a, b, cos, pa, pb, strict=True)
    ]
    return np.asarray(rows), cos


def fit(x: np.ndarray, same: np.ndarray) -> None:
    model = LogisticRegression(C=1.0, max_iter=5000)
    oof = cross_val_predict(model, x, same, cv=5, method="predict_proba")[:, 1]
    threshold = best_threshold(oof, same)
    model.fit(x, same)
    record = {
        "features": list(paraphrase.FEATURES),
        "weights": [round(float(w), 6) for w in model.coef_[0]],
        "bias": round(float(model.intercept_[0]), 6),
        "threshold": round(threshold, 4),
        "min_cosine": 0.4,
        "fitted_on": f"STS-B train, score >= {STS_SAME} as positive; benchmarks/paraphrase.py --fit",
    }
    MODEL_PATH.write_text(json.dumps(record, indent=2) + "\n")
    paraphrase.load_model.cache_clear()


def below_shared(a: list[str], b: list[str], same: np.ndarray, need: int) -> float:
    """Share of the ``same`` pairs whose two sentences share fewer than ``need`` content words."""
    shared = np.asarray(
        [
            len(paraphrase.content_words(word_keys(x)) & paraphrase.content_words(word_keys(z)))
            for x, z in zip(a, b, strict=True)
        ]
    )
    return round(float(np.mean(shared[same] < need)), 4)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--fit", action="store_true", help="refit and rewrite paraphrase_model.json"
    )
    args = parser.parse_args()

    if args.fit:
        ta, tb, tscore, _ = read_sts("train")
        fit(features("sts_train", ta, tb)[0], tscore >= STS_SAME)
    model = paraphrase.load_model()
    figures: dict[str, object] = {"threshold_in_articles": model.threshold}

    a, b, y = read_mrpc()
    x, cos = features("mrpc", a, b)
    fit_idx, test_idx = train_test_split(
        np.arange(len(y)), test_size=0.3, random_state=0, stratify=y
    )
    prob = model.probability(x)
    t_prob = best_threshold(prob[fit_idx], y[fit_idx])
    figures["mrpc_pairs_threshold_choice"] = len(fit_idx)
    figures["mrpc_pairs_reported"] = len(test_idx)
    figures["mrpc_f1_storytrace"] = round(f1_score(y[test_idx], prob[test_idx] >= t_prob), 4)
    figures["mrpc_accuracy_storytrace"] = round(
        float(np.mean((prob[test_idx] >= t_prob) == y[test_idx])), 4
    )
    t_cos = best_threshold(cos[fit_idx], y[fit_idx])
    figures["mrpc_f1_minilm_cosine"] = round(f1_score(y[test_idx], cos[test_idx] >= t_cos), 4)
    tfidf = TfidfVectorizer().fit([*np.asarray(a)[fit_idx], *np.asarray(b)[fit_idx]])
    tcos = np.asarray(tfidf.transform(a).multiply(tfidf.transform(b)).sum(axis=1)).ravel()
    t_tf = best_threshold(tcos[fit_idx], y[fit_idx])
    figures["mrpc_f1_tfidf_cosine"] = round(f1_score(y[test_idx], tcos[test_idx] >= t_tf), 4)
    figures["mrpc_f1_all_positive"] = round(f1_score(y[test_idx], np.ones(len(test_idx))), 4)

    sa, sb, gold, genre = read_sts("dev")
    sx, scos = features("sts_dev", sa, sb)
    sprob = model.probability(sx)
    news = np.asarray([g in ("headlines", "MSRpar") for g in genre])
    figures["sts_dev_spearman_minilm_cosine"] = round(float(spearmanr(scos, gold)[0]), 4)
    figures["sts_dev_spearman_storytrace"] = round(float(spearmanr(sprob, gold)[0]), 4)
    figures["sts_dev_news_spearman_minilm_cosine"] = round(
        float(spearmanr(scos[news], gold[news])[0]), 4
    )
    figures["sts_dev_news_spearman_storytrace"] = round(
        float(spearmanr(sprob[news], gold[news])[0]), 4
    )
    # what the aligner's pre-filter (AlignOptions.min_shared_words) would cost: the share of
    # pairs that say the same thing yet share fewer content words, so would never be scored
    need = AlignOptions().min_shared_words
    figures["min_shared_words"] = need
    figures["mrpc_positives_below_min_shared_words"] = below_shared(a, b, y == 1, need)
    figures["sts_dev_same_below_min_shared_words"] = below_shared(sa, sb, gold >= STS_SAME, need)
    figures["sts_dev_news_same_below_min_shared_words"] = below_shared(
        list(np.asarray(sa)[news]), list(np.asarray(sb)[news]), gold[news] >= STS_SAME, need
    )
    write_result(
        "paraphrase", figures, "python benchmarks/paraphrase.py" + (" --fit" if args.fit else "")
    )


if __name__ == "__main__":
    main()
