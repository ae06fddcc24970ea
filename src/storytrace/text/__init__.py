"""Text primitives shared by every stage: normalisation, tokens, sentences, shingles."""

from storytrace.text.normalize import fold, fold_token
from storytrace.text.sentences import split_sentences
from storytrace.text.tokens import Token, tokenize

__all__ = ["Token", "fold", "fold_token", "split_sentences", "tokenize"]
