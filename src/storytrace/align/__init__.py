"""Alignment of two texts: what is copied verbatim, what is edited, what is reworded.

align(a, b) -> [Passage]   verbatim and near-verbatim regions from exact word runs
                           (any order), then paraphrased sentences from embeddings plus
                           lexical evidence among the sentences left over.
"""

from storytrace.align.aligner import AlignOptions, align

__all__ = ["AlignOptions", "align"]
