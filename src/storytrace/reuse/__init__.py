"""Text reuse between articles: rare shared n-grams find the pairs, the aligner the passages.

As passim does, each article contributes a sample of its word n-gram hashes (anchors); an
n-gram few articles share is evidence of copying, a common one ("said in a statement on") is
not. Pairs sharing enough rare anchors are aligned with the compare aligner (verbatim and
near-verbatim only: paraphrase needs the sentence model and is left to ``compare``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from storytrace.align import AlignOptions, align
from storytrace.dedup.minhash import shingle_hashes, word_hashes
from storytrace.model import Passage
from storytrace.text.segmented import Segmented, segment

ANCHOR_WORDS = 5
SAMPLE_MODULUS = 4  # keep one n-gram hash in four: enough for passages of ~20 words


def anchors_batch(batch: Sequence[tuple[str, str]]) -> list[tuple[str, list[int]]]:
    """Stage: (id, text) -> (id, distinct sampled n-gram hashes as signed 64-bit ints)."""
    out = []
    for article_id, text in batch:
        data = np.frombuffer(text.lower().encode("utf-8", "ignore"), dtype=np.uint8)
        words, _ = word_hashes(data)
        if len(words) < ANCHOR_WORDS:
            out.append((article_id, []))
            continue
        hashes = np.unique(shingle_hashes(words, ANCHOR_WORDS))
        kept = hashes[hashes % np.uint64(SAMPLE_MODULUS) == 0]
        out.append((article_id, kept.view(np.int64).tolist()))
    return out


def align_batch(
    batch: Sequence[tuple[str, str, str, str]],
) -> list[tuple[str, str, list[Passage]]]:
    """Stage: (a id, a text, b id, b text) -> the verbatim and near-verbatim passages."""
    options = AlignOptions(paraphrases=False)
    segmented: dict[str, Segmented] = {}  # an article is often in several pairs of a batch

    def segment_of(article_id: str, text: str) -> Segmented:
        if article_id not in segmented:
            segmented[article_id] = segment(text)
        return segmented[article_id]

    return [
        (a_id, b_id, align(segment_of(a_id, a_text), segment_of(b_id, b_text), options))
        for a_id, a_text, b_id, b_text in batch
    ]
