"""all-MiniLM-L6-v2 through ONNX Runtime: the same vectors as sentence-transformers, without torch.

Importing torch and sentence-transformers costs several seconds of CPU in every process that
embeds anything, far more than ``compare`` then spends on the two articles. So the installed
model is converted once, with torch, into an ONNX file in the user's cache, and later
processes load only ONNX Runtime and the ``tokenizers`` package (about half a second).

    cache_dir()           $STORYTRACE_CACHE, else $XDG_CACHE_HOME/storytrace, else ~/.cache/storytrace
    onnx_path(model_dir)  minilm-<package version>-<fingerprint>.onnx in it
    ensure_onnx(...)      converts when that file is missing (torch export, checked, atomic)
    OnnxEncoder           tokenise, run, mean-pool and L2-normalise as sentence-transformers does

The fingerprint is taken from the package version, the model's config files and a sample of
its weights file, so an upgraded or changed model package converts again instead of reading a
stale file. Conversion writes to a temporary file and renames it, under a lock, so a crash
leaves nothing half-written and parallel workers convert once between them.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

# Bump when the exported graph changes (inputs, outputs, opset), so old files are not reused.
EXPORT_FORMAT = "1"
OPSET = 17
# Padded word pieces per ONNX Runtime call: bounds the attention buffers for long texts
# (a batch of 64 texts of 256 pieces would hold 200 MB of attention scores).
TOKEN_BUDGET = 8192
_SAMPLE_BYTES = 1 << 20
_PROBES = (
    "Water rose above the quay overnight and the harbour master closed the port.",
    "Ms Lowe said the inquiry would take evidence in public.",
    "",
    "Thousands fled as the river burst its banks, officials said on Tuesday, "
    "while rescue teams searched the flooded villages downstream. " * 12,
)


def cache_dir() -> Path:
    """Where converted models live: ``$STORYTRACE_CACHE``, else the XDG cache directory."""
    if os.environ.get("STORYTRACE_CACHE"):
        return Path(os.environ["STORYTRACE_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "storytrace"


def check_layout(model_dir: Path) -> None:
    """Refuse a model folder whose modules are not Transformer -> mean Pooling -> Normalize.

    The ONNX path reproduces exactly that pipeline; any other (CLS pooling, a Dense layer)
    would give different vectors, so it raises ValueError and the caller falls back.
    """
    modules = json.loads((model_dir / "modules.json").read_text(encoding="utf-8"))
    kinds = [m.get("type", "").rsplit(".", 1)[-1] for m in modules]
    if kinds != ["Transformer", "Pooling", "Normalize"]:
        raise ValueError(f"unsupported sentence-transformers modules {kinds}")
    pooling_dir = model_dir / modules[1].get("path", "1_Pooling")
    pooling = json.loads((pooling_dir / "config.json").read_text(encoding="utf-8"))
    modes = sorted(k for k, v in pooling.items() if k.startswith("pooling_mode_") and v)
    if modes != ["pooling_mode_mean_tokens"]:
        raise ValueError(f"unsupported pooling {modes}")


def fingerprint(model_dir: Path, version: str) -> str:
    """A short hash that changes when the model package does, cheap enough for every start.

    Hashing the 90 MB weights file on every start would cost a tenth of a second; its size,
    its header (tensor names, shapes, offsets) and its first and last megabyte change with
    any retrained or re-packed model.
    """
    digest = hashlib.sha256(f"{EXPORT_FORMAT}/{OPSET}/{version}".encode())
    for name in ("config.json", "modules.json", "sentence_bert_config.json", "tokenizer.json"):
        path = model_dir / name
        digest.update(name.encode() + (path.read_bytes() if path.exists() else b"-"))
    weights = model_dir / "model.safetensors"
    size = weights.stat().st_size
    digest.update(str(size).encode())
    with weights.open("rb") as handle:
        digest.update(handle.read(_SAMPLE_BYTES))
        handle.seek(max(0, size - _SAMPLE_BYTES))
        digest.update(handle.read(_SAMPLE_BYTES))
    return digest.hexdigest()[:16]


def onnx_path(model_dir: Path, version: str) -> Path:
    """The converted model's file for this model package."""
    return cache_dir() / f"minilm-{version}-{fingerprint(model_dir, version)}.onnx"


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock beside ``path``, so concurrent workers convert only once."""
    with path.with_suffix(".lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_onnx(model_dir: Path, version: str, max_pieces: int) -> Path:
    """The converted model, converting it first when this package has not been converted yet."""
    target = onnx_path(model_dir, version)
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with _locked(target):
        if not target.exists():  # another process may have finished while we waited
            fd, temp_name = tempfile.mkstemp(
                prefix=f"{target.stem}.", suffix=".tmp", dir=target.parent
            )
            os.close(fd)
            temp = Path(temp_name)
            try:
                export(model_dir, temp, max_pieces)
                temp.chmod(0o644)  # mkstemp makes it private; the cache is the user's own anyway
                temp.replace(target)
            finally:
                temp.unlink(missing_ok=True)
    return target


def export(model_dir: Path, path: Path, max_pieces: int) -> None:
    """Export the model's transformer to ``path`` with torch, checked against torch itself.

    Output: the last hidden state (batch x pieces x 384); pooling stays in numpy so that the
    same run gives both sentence and word-piece vectors. ValueError when ONNX Runtime does
    not reproduce torch's output on a few probe texts of different lengths and batch sizes
    (a shape baked into the trace by mistake would show there); the caller then discards
    the file.
    """
    import warnings

    from storytrace.imports import TORCH_IMPORT_LOCK

    with TORCH_IMPORT_LOCK:  # not while spaCy is imported with torch masked
        import torch
        import transformers
        from transformers import AutoModel

    transformers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_error()
    model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()

    class LastHidden(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    wrapped = LastHidden(model).eval()
    tokenizer = load_tokenizer(model_dir, max_pieces)
    example = _arrays(tokenizer.encode_batch(["a short example", "a second, longer example text"]))
    axes = {"input_ids": {0: "batch", 1: "pieces"}}
    axes["attention_mask"] = axes["token_type_ids"] = axes["input_ids"]
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation and tracer notes
        torch.onnx.export(
            wrapped,
            tuple(torch.from_numpy(a) for a in example),
            str(path),
            dynamo=False,
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["token_embeddings"],
            dynamic_axes={**axes, "token_embeddings": {0: "batch", 1: "pieces"}},
            opset_version=OPSET,
            do_constant_folding=True,
        )
    session = new_session(path)
    for batch in (list(_PROBES), _PROBES[:1], _PROBES[3:]):
        ids, mask, types = _arrays(tokenizer.encode_batch(list(batch)))
        with torch.no_grad():
            expected = wrapped(*(torch.from_numpy(a) for a in (ids, mask, types))).numpy()
        got = session.run(None, _feed(ids, mask, types))[0]
        worst = float(np.abs(got - expected)[mask.astype(bool)].max())
        if worst > 1e-3:
            raise ValueError(f"the ONNX export differs from torch by {worst:.2g}")


def load_tokenizer(model_dir: Path, max_pieces: int) -> Any:
    """The model's fast tokenizer, truncating as sentence-transformers does and never padding.

    The shipped tokenizer.json pads every text to 128 pieces and cuts there; the model is
    run with up to ``max_pieces`` (CLS and SEP included) and padding is done per batch.
    """
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_pieces)
    return tokenizer


def new_session(path: Path) -> Any:
    """An ONNX Runtime session on the CPU whose idle threads sleep instead of spinning.

    Spinning threads keep a core busy between the small calls made here; on a shared
    two-core machine that is CPU time taken from everything else.
    """
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    options.log_severity_level = 3  # errors only: a warning would go straight to stderr
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _arrays(encodings: Sequence[Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Right-padded ids, attention mask and (all-zero) token types for one batch."""
    width = max(len(e.ids) for e in encodings)
    ids = np.zeros((len(encodings), width), dtype=np.int64)
    mask = np.zeros_like(ids)
    for row, encoding in enumerate(encodings):
        ids[row, : len(encoding.ids)] = encoding.ids
        mask[row, : len(encoding.ids)] = 1
    return ids, mask, np.zeros_like(ids)


def _feed(ids: np.ndarray, mask: np.ndarray, types: np.ndarray) -> dict[str, np.ndarray]:
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}


def length_batches(lengths: Sequence[int], batch_size: int) -> Iterator[range]:
    """Consecutive ranges of ``lengths`` (sorted, shortest first) to run as one batch each.

    A batch is padded to its longest member, so it stops growing at ``batch_size`` texts,
    at TOKEN_BUDGET padded pieces, or before a text more than a quarter longer than its
    first (plus a few pieces): one call holding thirty sentences and a few 256-piece body
    chunks would pad every sentence to 256 and cost three times as much.
    """
    start = 0
    while start < len(lengths):
        first = lengths[start]
        end = start + 1
        while (
            end < len(lengths)
            and end - start < batch_size
            and (end - start + 1) * lengths[end] <= TOKEN_BUDGET
            and lengths[end] <= 1.25 * first + 8
        ):
            end += 1
        yield range(start, end)
        start = end


def _unit_rows(rows: np.ndarray) -> np.ndarray:
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)


class OnnxEncoder:
    """Sentence and word-piece vectors from the converted model.

    Texts are tokenised, sorted by length and run in batches of similar length, so little
    work goes into padding; results come back in the caller's order.
    """

    backend = "onnx"

    def __init__(self, model_file: Path, model_dir: Path, max_pieces: int, dimensions: int) -> None:
        self.path = model_file
        self.dimensions = dimensions
        self.session = new_session(model_file)
        self.tokenizer = load_tokenizer(model_dir, max_pieces)

    def _hidden(self, texts: Sequence[str], batch_size: int) -> Iterator[tuple[int, np.ndarray]]:
        """(index, last hidden state of its real pieces) for every text, in length order."""
        # sentence-transformers strips each text before tokenising; so does this.
        encodings = self.tokenizer.encode_batch([str(t).strip() for t in texts])
        order = sorted(range(len(encodings)), key=lambda n: len(encodings[n].ids))
        for chunk in length_batches([len(encodings[n].ids) for n in order], batch_size):
            members = [order[k] for k in chunk]
            ids, mask, types = _arrays([encodings[n] for n in members])
            hidden = self.session.run(None, _feed(ids, mask, types))[0]
            for row, n in enumerate(members):
                yield n, hidden[row, : len(encodings[n].ids)]

    def encode_with_tokens(
        self, texts: Sequence[str], batch_size: int
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Unit sentence vectors (mean of the real pieces) and unit piece vectors without CLS/SEP."""
        sentences = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        tokens: list[np.ndarray] = [sentences[:0]] * len(texts)  # every slot is filled below
        for n, pieces in self._hidden(texts, batch_size):
            sentences[n] = pieces.mean(axis=0)
            inner = pieces[1:-1] if len(pieces) > 2 else pieces
            tokens[n] = _unit_rows(inner).astype(np.float32)
        return _unit_rows(sentences).astype(np.float32), tokens

    def encode(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        """Unit sentence vectors only."""
        sentences = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for n, pieces in self._hidden(texts, batch_size):
            sentences[n] = pieces.mean(axis=0)
        return _unit_rows(sentences).astype(np.float32)
