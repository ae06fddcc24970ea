"""Article similarity against SemEval-2022 Task 8 gold (English pairs), and the blend's fit.

    python benchmarks/similarity.py          report with the shipped weights
    python benchmarks/similarity.py --fit    refit similarity_model.json on en_pairs_dev, then report

Gold is 1 (very similar) ... 4 (very dissimilar), so a good ``overall`` correlates
negatively. Reported: Pearson r of storytrace's ``overall`` on en_pairs_dev (161 pairs;
in-sample after a fit, and 5-fold cross-validated so the fit cannot flatter itself) and on
the 25 trial pairs whose articles were scraped (never used in the fit), next to plain TF-IDF
cosine and plain MiniLM cosine of the head text in the same run.
"""

from __future__ import annotations

import argparse
import csv
import json

import numpy as np
from scipy.optimize import nnls
from scipy.stats import pearsonr
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import KFold

from _shared import DATA, ROOT, Timer, need, write_result
from storytrace.comparison import VectorCache, gather_evidence
from storytrace.ingest.plaintext import build_article
from storytrace.ingest.records import record_to_article
from storytrace.model import Article
from storytrace.similarity import EVIDENCE

MODEL_PATH = ROOT / "src" / "storytrace" / "similarity_model.json"


def dev_pairs() -> tuple[list[tuple[Article, Article]], np.ndarray]:
    path = need(DATA / "semeval2022-task8" / "en_pairs_dev.csv")
    pairs, gold = [], []
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            a = build_article(row["text1"].strip(), source=row["pair_id"] + "/1")
            b = build_article(row["text2"].strip(), source=row["pair_id"] + "/2")
            pairs.append((a, b))
            gold.append(float(row["Overall"]))
    return pairs, np.asarray(gold)


def trial_pairs() -> tuple[list[tuple[Article, Article]], np.ndarray]:
    base = need(DATA / "semeval2022-task8")
    folder = base / "trial_articles"
    pairs, gold = [], []
    with (base / "trial_gold.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            ids = row["pair_id"].split("_")
            files = [folder / f"{i}.json" for i in ids]
            if len(files) != 2 or not all(f.exists() for f in files):
                continue
            arts = [record_to_article(json.loads(f.read_text()), str(f)) for f in files]
            if all(isinstance(x, Article) for x in arts):
                pairs.append((arts[0], arts[1]))
                gold.append(float(row["Overall"]))
    return pairs, np.asarray(gold)


def evidence_matrix(pairs: list[tuple[Article, Article]]) -> np.ndarray:
    rows = []
    for a, b in pairs:
        ev = gather_evidence(a, b, cache=VectorCache())
        rows.append([ev.values[k] for k in EVIDENCE])
    return np.asarray(rows)


def fit_weights(x: np.ndarray, gold: np.ndarray) -> tuple[np.ndarray, float]:
    """Non-negative least squares of (4 - gold) / 3 on the evidence, with a free bias."""
    target = (4.0 - gold) / 3.0
    design = np.hstack([x, np.ones((len(x), 1)), -np.ones((len(x), 1))])
    coef, _ = nnls(design, target)
    return coef[: x.shape[1]], float(coef[-2] - coef[-1])


def predict(x: np.ndarray, weights: np.ndarray, bias: float) -> np.ndarray:
    return np.clip(x @ weights + bias, 0.0, 1.0)


def baselines(pairs: list[tuple[Article, Article]]) -> dict[str, np.ndarray]:
    from storytrace.embed import encode

    texts_a = [f"{a.title}\n{a.text}" for a, _ in pairs]
    texts_b = [f"{b.title}\n{b.text}" for _, b in pairs]
    tfidf = TfidfVectorizer(stop_words="english", sublinear_tf=True).fit(texts_a + texts_b)
    ta, tb = tfidf.transform(texts_a), tfidf.transform(texts_b)
    va, vb = encode(texts_a), encode(texts_b)
    return {
        "tfidf_cosine": np.asarray(ta.multiply(tb).sum(axis=1)).ravel(),
        "minilm_head_cosine": np.sum(va * vb, axis=1),
    }


def r(x: np.ndarray, gold: np.ndarray) -> float:
    return round(float(pearsonr(x, gold)[0]), 4)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fit", action="store_true")
    args = parser.parse_args()
    dev, dev_gold = dev_pairs()
    trial, trial_gold = trial_pairs()
    with Timer() as t:
        x_dev = evidence_matrix(dev)
    x_trial = evidence_matrix(trial)
    figures: dict[str, object] = {
        "dev_pairs": len(dev),
        "trial_pairs": len(trial),
        "seconds_per_dev_pair": round(t.seconds / len(dev), 3),
    }

    cv_pred = np.zeros(len(dev))
    for train, test in KFold(5, shuffle=True, random_state=0).split(x_dev):
        w, b = fit_weights(x_dev[train], dev_gold[train])
        cv_pred[test] = predict(x_dev[test], w, b)
    figures["dev_pearson_storytrace_5fold_cv"] = r(cv_pred, dev_gold)
    if args.fit:
        w, b = fit_weights(x_dev, dev_gold)
        MODEL_PATH.write_text(
            json.dumps(
                {
                    "weights": {k: round(float(v), 4) for k, v in zip(EVIDENCE, w, strict=True)},
                    "bias": round(b, 4),
                    "fitted_on": "SemEval-2022 Task 8 en_pairs_dev (161 pairs), non-negative least squares; "
                    "benchmarks/similarity.py --fit",
                },
                indent=2,
            )
            + "\n"
        )
    model = json.loads(MODEL_PATH.read_text())
    w = np.asarray([model["weights"].get(k, 0.0) for k in EVIDENCE])
    figures["dev_pearson_storytrace"] = r(predict(x_dev, w, model["bias"]), dev_gold)
    figures["trial_pearson_storytrace"] = r(predict(x_trial, w, model["bias"]), trial_gold)
    for name, values in baselines(dev).items():
        figures[f"dev_pearson_{name}"] = r(values, dev_gold)
    for name, values in baselines(trial).items():
        figures[f"trial_pearson_{name}"] = r(values, trial_gold)
    for k, column in zip(EVIDENCE, x_dev.T, strict=True):
        if np.std(column) > 0:
            figures[f"dev_pearson_evidence_{k}"] = r(column, dev_gold)
    figures["weights"] = model["weights"]
    write_result(
        "similarity", figures, "python benchmarks/similarity.py" + (" --fit" if args.fit else "")
    )


if __name__ == "__main__":
    main()
