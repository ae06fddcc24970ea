"""Time of ``compare`` on the seed pair and on two 5,000-word articles, warm; peak memory.

    python benchmarks/compare_speed.py

Model loading (MiniLM, spaCy) is timed on its own first. Each case then runs once to warm
caches and five more times; the median is reported. The long pair is built from the sample
corpus: article A is the first 5,000 words of the corpus in one order, B the same articles in
another order with every third one left out, so they share many passages but not all.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from _shared import ROOT, SHARED, need, peak_rss_mb, write_result
from storytrace.compare import CompareOptions, compare
from storytrace.ingest import read_path
from storytrace.model import Article


def _long_pair(words: int = 5000) -> tuple[Article, Article]:
    texts = []
    for path in sorted((ROOT / "sample" / "corpus").rglob("*")):
        if path.is_file():
            texts += [a.text for a in read_path(path) if isinstance(a, Article)]

    def cut(parts: list[str]) -> str:
        out: list[str] = []
        for part in parts:
            out += part.split("\n")
            if sum(len(p.split()) for p in out) >= words:
                break
        return "\n".join(out)

    a = cut(texts)
    b = cut([t for n, t in enumerate(reversed(texts)) if n % 3])
    return Article(text=a, title="long A"), Article(text=b, title="long B")


def _median(fn, runs: int = 5) -> float:
    fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    start = time.perf_counter()
    from storytrace.embed import get_encoder

    get_encoder()
    encoder_s = time.perf_counter() - start
    start = time.perf_counter()
    from storytrace.nlp.pipeline import get_nlp

    get_nlp()
    spacy_s = time.perf_counter() - start
    seeds = sorted(need(SHARED / "seeds").glob("*.txt"))[:2]
    a, b = (Path(p) for p in seeds)
    long_a, long_b = _long_pair()
    fast = CompareOptions(entities=False)
    figures = {
        "model_load_minilm_s": round(encoder_s, 2),
        "model_load_spacy_s": round(spacy_s, 2),
        "seed_pair_s": round(_median(lambda: compare(a, b)), 3),
        "seed_pair_no_nlp_s": round(_median(lambda: compare(a, b, fast)), 3),
        "long_pair_words": [len(long_a.text.split()), len(long_b.text.split())],
        "long_pair_s": round(_median(lambda: compare(long_a, long_b), runs=3), 3),
        "long_pair_no_nlp_s": round(_median(lambda: compare(long_a, long_b, fast), runs=3), 3),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }
    write_result("compare_speed", figures, "python benchmarks/compare_speed.py")


if __name__ == "__main__":
    main()
