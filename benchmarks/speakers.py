"""Fit the speaker ranking (``src/storytrace/nlp/speaker_model.json``) on PolNeAR train.

Run through ``python benchmarks/quotes.py --fit``. Training rows come from what the
extractor itself finds: the rules' quotes on a PolNeAR *train* article are matched to gold
fragments (overlap-50, as the benchmark scores them); for each matched fragment with a gold
Source, every candidate speaker the ranker would see is one row, positive when it would
count as the right speaker (its phrase overlaps the gold Source, or its name ends in the same
word). Fragments none of whose candidates is right teach the ranking nothing and are left
out of training (they still count as errors on dev). The model is a conditional logit: the
candidates of one quote compete in a softmax, and training maximises the share of the right
ones (L-BFGS on the exact gradient, with an L2 penalty).

Selection on PolNeAR *dev*: the L2 strength and the floor (the softmax share under which
the best candidate is dropped and the quote has no speaker) are the values with the best
dev speaker accuracy over all attributions (ties: the stronger penalty), then the highest
floor that loses nothing on dev, as a missing speaker is better than a poor guess.
Dev is therefore not an untouched test set; the held-out PolNeAR test split stays unread.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np

from _shared import CACHE, ROOT

MODEL_PATH = ROOT / "src" / "storytrace" / "nlp" / "speaker_model.json"
L2_GRID = (30.0, 10.0, 3.0, 1.0, 0.3, 0.1, 0.03, 0.01, 0.003, 0.001)
FLOORS = (0.0, 0.1, 0.2, 0.3, 0.4)


def parsed(name: str, texts: Sequence[str]) -> list[Any]:
    """spaCy Docs for ``texts``, kept on disk between runs (train takes minutes to parse)."""
    from spacy.tokens import DocBin

    from storytrace.nlp.pipeline import get_nlp, parse

    nlp = get_nlp()
    digest = hashlib.sha1("\0".join(texts).encode()).hexdigest()[:12]
    path = CACHE / f"{name}-{digest}.spacy"
    if path.exists():
        return list(DocBin().from_disk(path).get_docs(nlp.vocab))
    docs = parse(list(texts))
    CACHE.mkdir(parents=True, exist_ok=True)
    bin_ = DocBin(store_user_data=False)
    for doc in docs:
        bin_.add(doc)
    bin_.to_disk(path)
    return docs


@dataclass
class Rows:
    """Candidate rows of one split: features, labels, and the quote each row belongs to."""

    x: np.ndarray
    y: np.ndarray
    group: np.ndarray
    groups: int  # matched fragments with a gold Source (the speaker-accuracy denominator)
    covered: int  # of those, the ones with at least one right candidate


def rows(articles: list[Any], docs: list[Any]) -> Rows:
    """Rows for every rule-made quote that matches a gold fragment with a Source."""
    from quotes import match, speaker_ok
    from storytrace.nlp.quotes import rule_quotes
    from storytrace.nlp.speakers import DocContext, candidates

    xs: list[tuple[float, ...]] = []
    ys: list[int] = []
    gs: list[int] = []
    groups = covered = 0
    for article, doc in zip(articles, docs, strict=True):
        quotes, spans, resolver = rule_quotes(doc)
        ctx = DocContext(doc, spans, resolver)
        for qi, gi in match(article, quotes):
            gold = article.gold[gi]
            if not gold.source:
                continue
            cands = candidates(ctx, quotes[qi], quotes[qi - 1] if qi else None)
            labels = [
                speaker_ok(
                    article.text,
                    SimpleNamespace(
                        speaker_span=c.span, speaker=c.text, speaker_resolved=c.resolved
                    ),
                    gold,
                )
                for c in cands
            ]
            covered += any(labels)
            for c, label in zip(cands, labels, strict=True):
                xs.append(c.features)
                ys.append(int(label))
                gs.append(groups)
            groups += 1
    from storytrace.nlp.speakers import FEATURES

    x = np.asarray(xs, dtype=np.float64).reshape(-1, len(FEATURES))
    return Rows(x, np.asarray(ys), np.asarray(gs), groups, covered)


def _softmax_parts(z: np.ndarray, group: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """exp(z - group max) per row and the per-group totals."""
    top = np.full(n, -np.inf)
    np.maximum.at(top, group, z)
    e = np.exp(z - top[group])
    return e, np.bincount(group, e, n)


def ranked_accuracy(rows: Rows, weights: np.ndarray, floor: float) -> float:
    """Share of all matched quotes whose best candidate is right and holds ``floor`` of the
    softmax (quotes with no right candidate count as wrong)."""
    if not len(rows.y):
        return 0.0
    z = rows.x @ weights
    e, total = _softmax_parts(z, rows.group, rows.groups)
    share = e / total[rows.group]
    order = np.lexsort((-z, rows.group))
    first = order[np.r_[True, rows.group[order][1:] != rows.group[order][:-1]]]
    right = (rows.y[first] == 1) & (share[first] >= floor)
    return float(right.sum()) / rows.groups


def conditional_logit(rows: Rows, l2: float) -> np.ndarray:
    """Weights maximising the log share of the right candidates in each quote, L2-penalised."""
    from scipy.optimize import minimize

    keep = _trainable(rows)
    x, y = rows.x[keep], rows.y[keep].astype(np.float64)
    _, group = np.unique(rows.group[keep], return_inverse=True)
    n = int(group.max()) + 1

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        e, total = _softmax_parts(x @ w, group, n)
        right = np.bincount(group, e * y, n)
        value = -float(np.sum(np.log(right) - np.log(total))) + l2 * float(w @ w)
        grad = x.T @ (e / total[group] - e * y / right[group]) + 2 * l2 * w
        return value, grad

    result = minimize(loss, np.zeros(x.shape[1]), jac=True, method="L-BFGS-B")
    if not result.success:
        raise RuntimeError(f"speaker model did not converge: {result.message}")
    return result.x


def _trainable(rows: Rows) -> np.ndarray:
    """Rows of quotes that hold at least one right candidate."""
    good = np.zeros(rows.groups + 1, dtype=bool)
    good[rows.group[rows.y == 1]] = True
    return good[rows.group]


def fit(train: Rows, dev: Rows) -> dict[str, object]:
    """Choose the L2 strength and the floor on dev; write the JSON; return what was chosen."""
    from storytrace.nlp import speakers

    trials = []
    fitted = []
    for l2 in L2_GRID:
        weights = conditional_logit(train, l2)
        accs = {floor: ranked_accuracy(dev, weights, floor) for floor in FLOORS}
        trials += [{"l2": l2, "floor": f, "dev_accuracy": round(a, 4)} for f, a in accs.items()]
        fitted.append((accs, l2, weights))
    # the L2 strength by accuracy without a floor (ties: the stronger penalty, listed first),
    # then the highest floor that costs nothing on dev: no speaker rather than a poor guess
    accs, l2, weights = max(fitted, key=lambda item: item[0][0.0] - 1e-6 * L2_GRID.index(item[1]))
    acc = accs[0.0]
    floor = max(f for f in FLOORS if accs[f] >= acc - 1e-9)
    record = {
        "features": list(speakers.FEATURES),
        "weights": [round(float(w), 6) for w in weights],
        "min_probability": floor,
        "fitted_on": (
            f"PolNeAR train, {train.covered} quotes with a right candidate; conditional logit, "
            f"L2 {l2} and floor {floor} chosen on PolNeAR dev; benchmarks/quotes.py --fit"
        ),
    }
    MODEL_PATH.write_text(json.dumps(record, indent=2) + "\n")
    speakers.load_model.cache_clear()
    return {
        "train_quotes": train.groups,
        "train_quotes_with_a_right_candidate": train.covered,
        "train_candidates": len(train.y),
        "dev_quotes": dev.groups,
        "dev_quotes_with_a_right_candidate": dev.covered,
        "chosen": {"l2": l2, "floor": floor},
        "dev_ranked_accuracy": round(acc, 4),
        "trials": trials,
    }
