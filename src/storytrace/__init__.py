"""storytrace: trace one news story across many outlets.

    storytrace.extract(path_or_text)   -> Article       clean text and metadata
    storytrace.compare(a, b)           -> Comparison    passages, quotes, entities, similarity

Heavy parts (the sentence model, spaCy, trafilatura) load on first use, not on import.
The comparison itself lives in ``storytrace.comparison``: no submodule may share a name with
a function here, because importing it would rebind that name on the package to the module.
"""

from __future__ import annotations

import logging
import typing

from storytrace.errors import ConfigError, InputError, ModelError, StoreError, StorytraceError
from storytrace.model import Article, Entity, Passage, Quote, Story

if typing.TYPE_CHECKING:  # only the names in __all__ are bound on the package
    from pathlib import Path

    from storytrace.comparison import Comparison

__version__ = "0.1.0"
__all__ = [
    "Article",
    "ConfigError",
    "Entity",
    "InputError",
    "ModelError",
    "Passage",
    "Quote",
    "StoreError",
    "Story",
    "StorytraceError",
    "compare",
    "extract",
]

logging.getLogger(__name__).addHandler(logging.NullHandler())


def extract(value: str | Path) -> Article:
    """One Article from a path ("file.jsonl#3" picks a record) or from raw text."""
    from storytrace.ingest import load_article

    return load_article(value)


def compare(a: str | Path | Article, b: str | Path | Article) -> Comparison:
    """Compare two articles (paths, texts or Articles); ``.to_dict()`` gives the JSON."""
    from storytrace.comparison import compare as _compare

    return _compare(a, b)
