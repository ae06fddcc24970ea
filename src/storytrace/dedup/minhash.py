"""MinHash signatures of word shingles, for a whole batch of texts at once in numpy.

Per-word Python loops cap MinHash near a few thousand documents a second, so everything
here works on the batch's bytes as arrays:

1. words are runs of letters and digits in the lower-cased UTF-8 bytes (any non-ASCII byte
   counts as a letter, so accented and non-Latin words stay whole);
2. a word's hash is a polynomial over its bytes, computed for all words together from one
   cumulative sum (the multiplier is odd, hence invertible modulo 2**64, which lets each
   word's sum be shifted back to start at power 0);
3. a shingle is ``k`` consecutive words, hashed by mixing their word hashes;
4. the signature is one-permutation MinHash with optimal densification (Li et al. 2012;
   Shrivastava 2017): each shingle hash is drawn once, its top bits pick one of ``bins``
   bins and the lowest value per bin is kept; empty bins borrow from a bin chosen by a
   probe sequence that depends on the bin alone, so equal sets get equal signatures.

The fraction of equal bins of two signatures estimates the Jaccard similarity of their
shingle sets, as with classic k-permutation MinHash, at the cost of one hash per shingle.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)
_P = 0x100000001B3  # odd: invertible modulo 2**64
_P_INV = pow(_P, -1, 2**64)
_WORD_BYTES = np.zeros(256, dtype=bool)
_WORD_BYTES[ord("0") : ord("9") + 1] = True
_WORD_BYTES[ord("a") : ord("z") + 1] = True
_WORD_BYTES[128:] = True
_SHINGLE_MIX = np.asarray(
    [
        0x9E3779B97F4A7C15,
        0xC2B2AE3D27D4EB4F,
        0x165667B19E3779F9,
        0xD6E8FEB86659FD93,
        0xFF51AFD7ED558CCD,
        0xC4CEB9FE1A85EC53,
        0x2545F4914F6CDD1D,
        0x94D049BB133111EB,
    ],
    dtype=np.uint64,
)
EMPTY = np.uint32(0xFFFFFFFF)


class _Powers:
    """P**i and P**-i modulo 2**64, grown on demand."""

    def __init__(self) -> None:
        self.up = np.ones(1, dtype=np.uint64)
        self.down = np.ones(1, dtype=np.uint64)

    def ensure(self, n: int) -> None:
        if len(self.up) >= n:
            return
        size = max(n, 2 * len(self.up))
        with np.errstate(over="ignore"):
            self.up = np.cumprod(np.full(size, _P, dtype=np.uint64), dtype=np.uint64)
            self.up = np.concatenate([[np.uint64(1)], self.up[:-1]])
            self.down = np.cumprod(np.full(size, _P_INV, dtype=np.uint64), dtype=np.uint64)
            self.down = np.concatenate([[np.uint64(1)], self.down[:-1]])


_POWERS = _Powers()


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: spreads every input bit over the whole word."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def word_hashes(data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(hash of each word, byte offset where it starts) for a lower-cased byte array."""
    if not len(data):
        return np.zeros(0, np.uint64), np.zeros(0, np.int64)
    is_word = _WORD_BYTES[data]
    edges = np.diff(np.concatenate(([False], is_word, [False])).astype(np.int8))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    if not len(starts):
        return np.zeros(0, np.uint64), starts
    _POWERS.ensure(len(data) + 1)
    with np.errstate(over="ignore"):
        weighted = data.astype(np.uint64) * _POWERS.up[: len(data)]
        prefix = np.concatenate(([np.uint64(0)], np.cumsum(weighted, dtype=np.uint64)))
        sums = (prefix[ends] - prefix[starts]) * _POWERS.down[starts]
        return _mix(sums + (ends - starts).astype(np.uint64)), starts


def shingle_hashes(words: np.ndarray, k: int) -> np.ndarray:
    """Hashes of every run of ``k`` words (one hash of all words when there are fewer)."""
    n = len(words)
    if n == 0:
        return np.zeros(0, np.uint64)
    k = min(k, n)
    with np.errstate(over="ignore"):
        acc = np.zeros(n - k + 1, dtype=np.uint64)
        for t in range(k):
            acc += words[t : n - k + 1 + t] * _SHINGLE_MIX[t % len(_SHINGLE_MIX)]
        return _mix(acc)


def _densify(sig: np.ndarray, bins: int) -> None:
    """Fill empty bins in place from probe sequences that depend only on the bin index."""
    empty_rows, empty_cols = np.nonzero(sig == EMPTY)
    if not len(empty_rows):
        return
    full = ~(sig == EMPTY).all(axis=1)
    keep = full[empty_rows]
    rows, cols = empty_rows[keep], empty_cols[keep]
    source = sig.copy()
    attempt = 1
    while len(rows):
        with np.errstate(over="ignore"):
            probe = _mix(
                cols.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
                + np.uint64(attempt) * np.uint64(0xD6E8FEB86659FD93)
            )
        target = (probe % np.uint64(bins)).astype(np.int64)
        values = source[rows, target]
        found = values != EMPTY
        sig[rows[found], cols[found]] = values[found]
        rows, cols = rows[~found], cols[~found]
        attempt += 1
        if attempt > 64 * bins:  # cannot happen while a row has a full bin; a guard
            break


def signatures(texts: Sequence[str], k: int = 5, bins: int = 128) -> np.ndarray:
    """MinHash signatures, one row of ``bins`` uint32 values per text.

    A text with no words gets a row of EMPTY values, which equals no other signature.
    """
    if bins & (bins - 1) or not 8 <= bins <= 1024:
        raise ValueError("bins must be a power of two between 8 and 1024")
    sig = np.full((len(texts), bins), EMPTY, dtype=np.uint32)
    if not texts:
        return sig
    joined = "\n".join(texts).lower().encode("utf-8", "ignore")
    data = np.frombuffer(joined, dtype=np.uint8)
    hashes, starts = word_hashes(data)
    # which text each word belongs to: texts are joined by one newline byte each
    lengths = np.fromiter(
        (len(t.lower().encode("utf-8", "ignore")) + 1 for t in texts),
        dtype=np.int64,
        count=len(texts),
    )
    doc_ends = np.cumsum(lengths)
    doc_of_word = np.searchsorted(doc_ends, starts, side="right")
    bounds = np.searchsorted(doc_of_word, np.arange(len(texts) + 1))
    shift = np.uint64(64 - int(bins).bit_length() + 1)
    counts = np.diff(bounds)
    # shingles over the whole batch, minus those that straddle two texts
    sh = shingle_hashes(hashes, k) if len(hashes) >= k else np.zeros(0, np.uint64)
    docs = doc_of_word[: len(sh)]
    inside = docs == doc_of_word[k - 1 : k - 1 + len(sh)]
    sh, docs = sh[inside], docs[inside]
    short = np.flatnonzero((counts > 0) & (counts < k))  # texts shorter than one shingle
    if len(short):
        extra = [shingle_hashes(hashes[bounds[d] : bounds[d + 1]], k) for d in short]
        sh = np.concatenate([sh, *extra])
        docs = np.concatenate([docs, np.repeat(short, [len(e) for e in extra])])
    if not len(sh):
        return sig
    bin_all = (sh >> shift).astype(np.int64)
    values = (sh & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    values = np.minimum(values, EMPTY - np.uint32(1))
    flat = sig.reshape(-1)
    np.minimum.at(flat, docs * bins + bin_all, values)
    _densify(sig, bins)
    return sig


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures."""
    if (a == EMPTY).all() or (b == EMPTY).all():
        return 0.0
    return float(np.mean(a == b))
