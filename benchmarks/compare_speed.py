"""How long ``compare(a, b)`` takes once the models are loaded, and how long loading takes.

    python benchmarks/compare_speed.py [--runs 5] [--words 5000]

Loading is timed first, cold, in a fresh process: ``get_encoder()`` (MiniLM, torch import
included) and then ``get_nlp()`` (spaCy). The first ``compare`` after loading is reported
too. Each case is then run once more to warm up and ``--runs`` times; the median is reported,
with the default options and with ``CompareOptions(entities=False)`` (no spaCy stage).

Cases: the seed pair (../shared/seeds, two plain-text articles) and a long pair built here
from the sample corpus. Its articles (read with ``read_path``, in file order, exact repeats
dropped) are dealt round-robin into three piles; text A is piles 0 and 1 in corpus order,
text B piles 0 and 2 in reverse order, each filled paragraph by paragraph up to ``--words``.
So the two share the pile-0 passages, in a different order, and differ in the rest.
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable
from pathlib import Path

from _shared import ROOT, SHARED, Timer, need, peak_rss_mb, write_result


def corpus_articles() -> list[str]:
    """Texts of the sample-corpus articles, in a fixed order, exact repeats dropped."""
    from storytrace.ingest import read_path
    from storytrace.model import Article

    texts: dict[str, None] = {}
    for path in sorted((ROOT / "sample" / "corpus").rglob("*")):
        if path.is_file():
            for item in read_path(path):
                if isinstance(item, Article) and item.text.strip():
                    texts.setdefault(item.text.strip(), None)
    return list(texts)


def fill(articles: list[str], words: int) -> tuple[str, int]:
    """Paragraphs of ``articles`` in order until ``words`` words; the text and articles used."""
    lines: list[str] = []
    count = used = 0
    for text in articles:
        used += 1
        for line in text.split("\n"):
            if line.strip():
                lines.append(line)
                count += len(line.split())
            if count >= words:
                return "\n".join(lines), used
    return "\n".join(lines), used


def long_pair(words: int) -> tuple[str, str, dict[str, int]]:
    """Two texts of about ``words`` words that share some articles' passages but not all."""
    articles = corpus_articles()
    pile = [n % 3 for n in range(len(articles))]
    a_order = [n for n in range(len(articles)) if pile[n] in (0, 1)]
    b_order = [n for n in reversed(range(len(articles))) if pile[n] in (0, 2)]
    text_a, used_a = fill([articles[n] for n in a_order], words)
    text_b, used_b = fill([articles[n] for n in b_order], words)
    shared = set(a_order[:used_a]) & set(b_order[:used_b])
    info = {
        "corpus_articles": len(articles),
        "words_a": len(text_a.split()),
        "words_b": len(text_b.split()),
        "articles_a": used_a,
        "articles_b": used_b,
        "articles_in_both": len(shared),
    }
    return text_a, text_b, info


def median_seconds(call: Callable[[], object], runs: int) -> float:
    """Median wall time of ``runs`` calls, after one call that is not counted."""
    call()
    times = []
    for _ in range(runs):
        with Timer() as timer:
            call()
        times.append(timer.seconds)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per case (median)")
    parser.add_argument("--words", type=int, default=5000, help="length of each long text")
    args = parser.parse_args()

    seeds = sorted(need(SHARED / "seeds").glob("*.txt"))
    if len(seeds) != 2:
        raise SystemExit(f"expected two seed files in {SHARED / 'seeds'}, found {len(seeds)}")

    with Timer() as load_encoder:
        from storytrace.embed import get_encoder

        get_encoder()
    with Timer() as load_nlp:
        from storytrace.nlp.pipeline import get_nlp

        get_nlp()

    from storytrace.comparison import CompareOptions, compare
    from storytrace.ingest import load_article

    seed_a, seed_b = (load_article(Path(p)) for p in seeds)
    with Timer() as first_call:
        compare(seed_a, seed_b)

    text_a, text_b, info = long_pair(args.words)
    long_a, long_b = load_article(text_a), load_article(text_b)
    no_entities = CompareOptions(entities=False)
    cases = {
        "seed_pair": (seed_a, seed_b),
        "long_pair": (long_a, long_b),
    }
    figures: dict[str, object] = {
        "model_load_minilm_s": round(load_encoder.seconds, 2),
        "model_load_spacy_s": round(load_nlp.seconds, 2),
        "first_compare_seed_pair_s": round(first_call.seconds, 3),
        "runs": args.runs,
        "seed_pair_words": [len(seed_a.text.split()), len(seed_b.text.split())],
        "long_pair": info,
    }
    for name, (a, b) in cases.items():
        figures[f"{name}_median_s"] = round(
            median_seconds(lambda a=a, b=b: compare(a, b), args.runs), 3
        )
        figures[f"{name}_no_entities_median_s"] = round(
            median_seconds(lambda a=a, b=b: compare(a, b, no_entities), args.runs), 3
        )
    figures["peak_rss_mb"] = round(peak_rss_mb(), 1)

    command = "python benchmarks/compare_speed.py"
    if args.runs != 5:
        command += f" --runs {args.runs}"
    if args.words != 5000:
        command += f" --words {args.words}"
    write_result("compare_speed", figures, command)


if __name__ == "__main__":
    main()
