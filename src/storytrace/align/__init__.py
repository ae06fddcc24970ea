"""Alignment of two texts: what is copied verbatim, what is edited, what is reworded.

align(a, b) -> [Passage]   verbatim and near-verbatim regions from exact word runs
                           (any order), then paraphrased sentences from embeddings plus
                           lexical evidence among the sentences left over.
align_lexical(a, b)        the first half alone (no model needed), to embed its units
                           ahead of ``align(..., lexical=...)``.
"""

from storytrace.align.aligner import AlignOptions, LexicalAlignment, align, align_lexical

__all__ = ["AlignOptions", "LexicalAlignment", "align", "align_lexical"]
