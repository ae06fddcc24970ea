"""Sentence vectors: the ONNX backend against sentence-transformers, its cache, its fallback."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT, SAMPLE
from storytrace import embed, embed_onnx
from storytrace.errors import ModelError


def _sentences(limit: int = 300) -> list[str]:
    """Sentences of the sample corpus (a few hundred, in file order), plus awkward inputs."""
    from storytrace.ingest import read_path
    from storytrace.model import Article
    from storytrace.text.sentences import split_sentences

    found: dict[str, None] = {}
    for path in sorted((SAMPLE / "corpus").rglob("*")):
        if not path.is_file():
            continue
        for item in read_path(path):
            if not isinstance(item, Article):
                continue
            for span in split_sentences(item.text):
                found.setdefault(item.text[span[0] : span[1]].strip(), None)
        if len(found) >= limit:
            break
    texts = [t for t in found if t][:limit]
    long_text = " ".join(texts[:80])  # far past 256 word pieces: cut there by both
    return [
        *texts,
        long_text,
        "",
        "   ",
        "a",
        "Zürich, Kraków and São Paulo — “quoted” text; 東京 and Ελλάδα.",
        "\u00a0leading and trailing blanks\t\n",
    ]


@pytest.fixture(scope="module")
def both_backends():
    return embed.get_encoder("onnx"), embed.get_encoder("torch")


@pytest.mark.slow
def test_onnx_vectors_match_sentence_transformers(both_backends):
    fast, reference = both_backends
    assert (fast.backend, reference.backend) == ("onnx", "torch")
    texts = _sentences()
    assert len(texts) >= 250
    got, got_pieces = fast.encode_with_tokens(texts, 64)
    want, want_pieces = reference.encode_with_tokens(texts, 64)
    assert got.shape == want.shape == (len(texts), embed.DIMENSIONS)
    assert got.dtype == np.float32
    cosines = np.sum(got * want, axis=1)
    assert cosines.min() >= 0.999, texts[int(cosines.argmin())]
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    for text, mine, theirs in zip(texts, got_pieces, want_pieces, strict=True):
        assert mine.shape == theirs.shape, text
        assert np.sum(mine * theirs, axis=1).min() >= 0.999, text
    plain = fast.encode(texts, 16)  # another batch size, sentence vectors only
    assert np.sum(plain * want, axis=1).min() >= 0.999


@pytest.mark.slow
def test_long_text_is_cut_at_256_word_pieces(both_backends):
    fast, _ = both_backends
    _, pieces = fast.encode_with_tokens(["word " * 1000, "two words"], 64)
    assert len(pieces[0]) == embed.MAX_WORD_PIECES - 2  # CLS and SEP dropped
    assert len(pieces[1]) == 2


def test_empty_input_needs_no_model():
    vectors, pieces = embed.encode_with_tokens([])
    assert vectors.shape == (0, embed.DIMENSIONS) and pieces == []
    assert embed.encode([]).shape == (0, embed.DIMENSIONS)


@pytest.mark.slow
def _compare_in_fresh_process(tmp_path, backend: str, report: str) -> dict:
    """Run compare on two short texts in a new interpreter; ``report`` is the dict printed."""
    text = (
        "The harbour wall at Kessmouth collapsed into the sea late on Friday, the harbour "
        "master said. Nobody was hurt, but three fishing boats sank in the outer basin."
    )
    (tmp_path / "a.txt").write_text(text)
    (tmp_path / "b.txt").write_text(text.replace("Friday", "Saturday") + " Repairs begin soon.")
    script = (
        "import sys, json\n"
        "from storytrace.comparison import compare\n"
        "from storytrace.embed import get_encoder\n"
        f"r = compare({str(tmp_path / 'a.txt')!r}, {str(tmp_path / 'b.txt')!r})\n"
        f"print(json.dumps({report}))\n"
    )
    env = {**os.environ, "STORYTRACE_EMBED_BACKEND": backend, "STORYTRACE_DEVICE": "cpu"}
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert "warning" not in proc.stderr
    return json.loads(proc.stdout)


def test_compare_path_imports_no_torch(tmp_path):
    """A whole compare (spaCy included) in a fresh process leaves torch unimported."""
    embed.get_encoder("onnx")  # the conversion (which uses torch) happens here, not below
    report = _compare_in_fresh_process(
        tmp_path,
        "auto",
        "{'backend': get_encoder().backend, 'passages': len(r.passages), 'heavy': [m for m in"
        " ('torch', 'sentence_transformers', 'transformers') if m in sys.modules]}",
    )
    assert report["backend"] == "onnx"
    assert report["heavy"] == []
    assert report["passages"] >= 1


def test_cache_dir_follows_env(monkeypatch, tmp_path):
    monkeypatch.setenv("STORYTRACE_CACHE", str(tmp_path / "mine"))
    assert embed_onnx.cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("STORYTRACE_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert embed_onnx.cache_dir() == tmp_path / "xdg" / "storytrace"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert embed_onnx.cache_dir() == tmp_path / "home" / ".cache" / "storytrace"


def _fake_model(folder, pooling="mean"):
    """A model folder with the real layout files and a made-up weights file."""
    folder.mkdir(parents=True)
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {
            "idx": 1,
            "name": "1",
            "path": "1_Pooling",
            "type": "sentence_transformers.models.Pooling",
        },
        {
            "idx": 2,
            "name": "2",
            "path": "2_Normalize",
            "type": "sentence_transformers.models.Normalize",
        },
    ]
    (folder / "modules.json").write_text(json.dumps(modules))
    (folder / "1_Pooling").mkdir()
    modes = {
        "pooling_mode_cls_token": pooling == "cls",
        "pooling_mode_mean_tokens": pooling == "mean",
    }
    (folder / "1_Pooling" / "config.json").write_text(json.dumps(modes))
    (folder / "config.json").write_text('{"hidden_size": 384}')
    (folder / "model.safetensors").write_bytes(bytes(range(256)) * 20_000)
    return folder


def test_file_name_changes_with_the_model(monkeypatch, tmp_path):
    monkeypatch.setenv("STORYTRACE_CACHE", str(tmp_path / "cache"))
    model = _fake_model(tmp_path / "model")
    first = embed_onnx.onnx_path(model, "0.1.0")
    assert first.parent == tmp_path / "cache" and first.name.startswith("minilm-0.1.0-")
    assert embed_onnx.onnx_path(model, "0.1.0") == first
    assert embed_onnx.onnx_path(model, "0.2.0") != first
    weights = bytearray((model / "model.safetensors").read_bytes())
    weights[100] ^= 1  # retrained weights, same size
    (model / "model.safetensors").write_bytes(bytes(weights))
    changed = embed_onnx.onnx_path(model, "0.1.0")
    assert changed != first
    (model / "config.json").write_text('{"hidden_size": 768}')
    assert embed_onnx.onnx_path(model, "0.1.0") not in (first, changed)


def test_only_mean_pooled_normalised_models_are_converted(tmp_path):
    embed_onnx.check_layout(_fake_model(tmp_path / "mean"))
    with pytest.raises(ValueError, match="pooling"):
        embed_onnx.check_layout(_fake_model(tmp_path / "cls", pooling="cls"))
    real, _ = embed.model_dir()
    embed_onnx.check_layout(real)


def test_failed_conversion_leaves_no_file(monkeypatch, tmp_path):
    monkeypatch.setenv("STORYTRACE_CACHE", str(tmp_path / "cache"))
    model = _fake_model(tmp_path / "model")

    def broken(model_dir, path, max_pieces):
        path.write_bytes(b"half a model")
        raise RuntimeError("exporter crashed")

    monkeypatch.setattr(embed_onnx, "export", broken)
    with pytest.raises(RuntimeError, match="crashed"):
        embed_onnx.ensure_onnx(model, "0.1.0", 256)
    assert not list((tmp_path / "cache").glob("*.onnx"))
    assert not list((tmp_path / "cache").glob("*.tmp"))

    def working(model_dir, path, max_pieces):
        path.write_bytes(b"a whole model")

    monkeypatch.setattr(embed_onnx, "export", working)
    made = embed_onnx.ensure_onnx(model, "0.1.0", 256)
    assert made.read_bytes() == b"a whole model"
    monkeypatch.setattr(embed_onnx, "export", broken)  # present now: not converted again
    assert embed_onnx.ensure_onnx(model, "0.1.0", 256) == made


class _StubTorch:
    backend = "torch"


@pytest.mark.parametrize(
    ("breakage", "reason"),
    [("runtime", "onnxruntime is not installed"), ("export", "ONNX export differs")],
)
def test_fallback_is_one_warning_line(monkeypatch, capsys, breakage, reason):
    if breakage == "runtime":
        monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import fails as if absent
    else:

        def failing(*args):
            raise ValueError("the ONNX export differs from torch by 0.5")

        monkeypatch.setattr(embed_onnx, "ensure_onnx", failing)
    monkeypatch.setattr(embed, "TorchEncoder", _StubTorch)
    embed._load.cache_clear()
    try:
        encoder = embed.get_encoder("onnx")
    finally:
        embed._load.cache_clear()
    assert isinstance(encoder, _StubTorch)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("storytrace: warning:") and reason in lines[0]
    assert "Traceback" not in lines[0]


def test_backend_choice(monkeypatch):
    monkeypatch.setattr(embed, "_gpu_visible", lambda: False)
    for backend, device, expected in [
        ("auto", "auto", "onnx"),
        ("auto", "cpu", "onnx"),
        ("auto", "cuda", "torch"),
        ("torch", "cpu", "torch"),
        ("onnx", "cuda", "onnx"),
        ("", "auto", "onnx"),
    ]:
        monkeypatch.setenv("STORYTRACE_EMBED_BACKEND", backend)
        monkeypatch.setenv("STORYTRACE_DEVICE", device)
        assert embed.chosen_backend() == expected, (backend, device)
    monkeypatch.setenv("STORYTRACE_EMBED_BACKEND", "auto")
    monkeypatch.setenv("STORYTRACE_DEVICE", "auto")
    monkeypatch.setattr(embed, "_gpu_visible", lambda: True)
    assert embed.chosen_backend() == "torch"
    monkeypatch.setenv("STORYTRACE_EMBED_BACKEND", "tensorflow")
    with pytest.raises(ModelError, match="STORYTRACE_EMBED_BACKEND"):
        embed.chosen_backend()


@pytest.mark.slow
def test_spacy_import_leaves_torch_importable():
    """The torch block around ``import spacy`` is lifted: torch still imports afterwards."""
    script = (
        "import sys\n"
        "from storytrace.nlp.pipeline import get_nlp\n"
        "get_nlp()\n"
        "assert 'torch' not in sys.modules, 'spaCy imported torch'\n"
        "import torch\n"
        "print(torch.tensor([1, 2]).sum().item())\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "3"


def test_torch_backend_loads_while_spacy_loads_in_the_parse_thread(tmp_path):
    """compare loads spaCy (torch masked) in its parse thread while the main thread loads
    sentence-transformers; the shared lock keeps transformers from seeing torch missing."""
    report = _compare_in_fresh_process(
        tmp_path, "torch", "{'backend': get_encoder().backend, 'passages': len(r.passages)}"
    )
    assert report["backend"] == "torch"
    assert report["passages"] >= 1


def test_batches_keep_short_texts_apart_from_long_ones():
    from storytrace.embed_onnx import TOKEN_BUDGET, length_batches

    lengths = sorted([12] * 25 + [20] * 10 + [256] * 40)
    batches = list(length_batches(lengths, 64))
    assert [k for b in batches for k in b] == list(range(len(lengths)))  # each text once, in order
    for batch in batches:
        members = [lengths[k] for k in batch]
        assert len(members) <= 64
        assert len(members) * max(members) <= TOKEN_BUDGET
        assert max(members) <= 1.25 * min(members) + 8  # no sentence padded to a chunk's width
    assert len(batches) <= 6
