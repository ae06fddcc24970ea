"""MinHash signatures and LSH banding: what stored signatures and anchors rely on.

Signatures and band keys are kept in the store and compared with ones signed later, and
``reuse`` keeps word n-gram hashes, so the hashes must not drift with the batch a text is
signed in, with case, or with a rewrite of the fast path.
"""

from __future__ import annotations

import random
import zlib

import numpy as np
import pytest

from storytrace.dedup import band_params, signatures
from storytrace.dedup.minhash import EMPTY, SIGNATURE_VERSION, word_hashes

M64 = (1 << 64) - 1


def reference_word_hash(word: bytes) -> int:
    """The word hash spelt out: mix(sum(byte[i] * P**i) + length) modulo 2**64."""
    p = 0x100000001B3
    x = (sum(b * pow(p, i, 1 << 64) for i, b in enumerate(word)) + len(word)) & M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & M64
    return x ^ (x >> 31)


def test_word_hashes_match_the_reference_for_every_length_and_offset():
    rng = random.Random(1)
    letters = b"abcdefghijklmnopqrstuvwxyz0123456789\xc3\xa9"
    words = [bytes(rng.choice(letters) for _ in range(n)) for n in (*range(1, 41), 64, 200)]
    rng.shuffle(words)
    text = b"  ".join(words[:20]) + b" . " + b"\n".join(words[20:])  # starts at all offsets
    hashes, starts = word_hashes(np.frombuffer(text, dtype=np.uint8))
    found = [text[s:].split(maxsplit=1)[0].rstrip(b".") for s in starts.tolist()]
    assert found == words
    assert hashes.tolist() == [reference_word_hash(w) for w in words]


def test_word_hashes_treat_upper_case_ascii_as_a_separator():
    # callers pass lower-cased bytes; raw upper case splits words, as it always has
    hashes, starts = word_hashes(np.frombuffer(b"abcDef", dtype=np.uint8))
    assert starts.tolist() == [0, 4]
    assert hashes.tolist() == [reference_word_hash(b"abc"), reference_word_hash(b"ef")]


def test_signatures_are_pinned():
    """A change here makes stored signatures stale: bump SIGNATURE_VERSION with it."""
    texts = [
        "The Harbour crane collapsed in the storm on Tuesday, officials said.",
        "Ça déménage: l'ÉCOLE ferme à 17h.",
        "tiny text",
    ]
    sig = signatures(texts)
    assert SIGNATURE_VERSION == 2
    assert [zlib.crc32(row.tobytes()) for row in sig] == [1532036399, 1797507237, 563726891]
    assert sig[0, :3].tolist() == [949861781, 878464940, 1779906265]
    hashes, starts = word_hashes(np.frombuffer("harbour crane 2024 école".encode(), np.uint8))
    assert hashes[0] == 0x7203A17B2E3CBE46 and hashes[3] == 0xCAE5F1208105FA37
    assert starts.tolist() == [0, 8, 14, 19]


def _texts(rng: random.Random, n: int) -> list[str]:
    vocab = ["harbour", "Crane", "STORM", "ferry", "x", "déjà", "Ελλάδα", "2024", "o'neil"]
    vocab += ["extraordinarily", "counterrevolutionaries" * 3, "東京都の港で"]
    return [
        " ".join(rng.choice(vocab) for _ in range(rng.choice([0, 1, 3, 4, 5, 12, 80, 300])))
        for _ in range(n)
    ]


def test_signatures_do_not_depend_on_the_batch():
    rng = random.Random(4)
    texts = _texts(rng, 120)
    ascii_texts = [t for t in texts if t.isascii()]
    alone = {t: signatures([t])[0] for t in texts}
    for batch in (texts, ascii_texts, texts[::-1], texts[:7], [*ascii_texts, "Ünïcode tail"]):
        sig = signatures(batch)
        for text, row in zip(batch, sig, strict=False):
            assert (row == alone.get(text, signatures([text])[0])).all(), text


def test_signatures_fold_case_as_str_lower_does():
    pairs = [
        ("Harbour CRANE collapsed in the Storm", "harbour crane collapsed in the storm"),
        ("L'ÉCOLE ferme À Paris ce soir", "l'école ferme à paris ce soir"),
    ]
    for upper, lower in pairs:
        sig = signatures([upper, lower, upper + " tail"])
        assert (sig[0] == sig[1]).all()
        assert not (sig[0] == sig[2]).all()


def test_a_copy_that_only_changed_its_quote_marks_and_dashes_is_the_same_text():
    """Bytes from 0x80 up are word bytes (letters beyond ASCII), so curly quotes, long
    dashes and no-break spaces are made ASCII first: one outlet's typography is no edit."""
    plain = (
        'The port\'s owner said "we will not pay" - and the strike, now 8 days old, went on. '
        "Dockers' leader Mara Colt called it 'a lock-out'... "
    ) * 3
    fancy = (
        "The port’s owner said “we will not pay” — and the strike, now 8\u00a0days old, went on. "
        "Dockers’ leader Mara Colt called it ‘a lock‑out’… "
    ) * 3
    sig = signatures([plain, fancy, fancy.replace("Colt", "Kolt")])
    assert (sig[0] == sig[1]).all()
    assert not (sig[0] == sig[2]).all()  # a real edit still counts
    assert (signatures(["Ça déménage — vite"])[0] == signatures(["ça déménage - vite"])[0]).all()


def test_texts_without_words_get_empty_rows_and_short_texts_a_full_row():
    sig = signatures(["", " ... !!", "one", "two words", "a b c d e f"], k=5)
    assert (sig[0] == EMPTY).all() and (sig[1] == EMPTY).all()
    assert not (sig[2:] == EMPTY).any()  # densified from their single shingle
    assert (sig[3] == signatures(["Two  Words"])[0]).all()
    assert signatures([]).shape == (0, 128)
    with pytest.raises(ValueError):
        signatures(["a"], bins=100)


@pytest.mark.parametrize("threshold", [0.5, 0.6, 0.7, 0.8, 0.9])
def test_banding_makes_most_pairs_at_the_threshold_candidates(threshold):
    # verification by estimated Jaccard is what drops pairs below the threshold; LSH should
    # lose few above it
    bands, rows = band_params(threshold)
    assert bands * rows <= 128
    assert 1 - (1 - threshold**rows) ** bands >= 0.8
