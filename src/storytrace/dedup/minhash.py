"""MinHash signatures of word shingles, for a whole batch of texts at once in numpy.

Per-word Python loops cap MinHash near a few thousand documents a second, and per-byte
64-bit arithmetic near twenty thousand, so the bytes are touched only by cheap passes and
the 64-bit work is done once per word:

1. words are runs of letters and digits in the lower-cased UTF-8 bytes (any non-ASCII byte
   counts as a letter, so accented and non-Latin words stay whole); the word bytes are
   found eight at a time with SWAR tests on the buffer read as 64-bit integers;
2. a word's hash is a polynomial over its bytes mixed with its length (the same hash as
   the earlier per-byte prefix-sum code, so stored signatures and anchors stay valid); each
   word is read as 8-byte chunks spliced from the two aligned 64-bit words they straddle,
   so the polynomial costs eight multiply-adds per chunk, not a pass over every byte;
3. a shingle is ``k`` consecutive words, hashed by mixing their word hashes;
4. the signature is one-permutation MinHash with optimal densification (Li et al. 2012;
   Shrivastava 2017): each shingle hash is drawn once, its top bits pick one of ``bins``
   bins and the lowest value per bin is kept; empty bins borrow from a bin chosen by a
   probe sequence that depends on the bin alone, so equal sets get equal signatures.

A text's signature depends on its own bytes only, never on the batch it is signed in. The
large temporaries live in per-thread scratch arrays reused from batch to batch (see
``_Scratch``). The fraction of equal bins of two signatures estimates the Jaccard
similarity of their shingle sets, as with classic k-permutation MinHash, at the cost of one
hash per shingle.
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Sequence

import numpy as np

from storytrace.text.normalize import TYPOGRAPHIC

SIGNATURE_VERSION = 2  # bump whenever the signature of some text changes: stored ones go stale
MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)
_P = 0x100000001B3  # odd, so distinct short byte strings rarely collide modulo 2**64
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

# SWAR constants: one copy of a byte pattern in each of the eight bytes of a 64-bit word
_ONES = 0x0101010101010101
_HIGH = np.uint64(0x80 * _ONES)
_LOW7 = np.uint64(0x7F * _ONES)
_CASE = np.uint64(0x20 * _ONES)
_BYTE = np.uint64(0xFF)
# _CHUNK_MASK[n] keeps the first n bytes of a little-endian 8-byte chunk
_CHUNK_MASK = np.asarray([(1 << (8 * n)) - 1 for n in range(9)], dtype=np.uint64)
_BYTE_POWERS = [np.uint64(pow(_P, j, 2**64)) for j in range(8)]  # P**j for byte j of a chunk
_CHUNK_PASSES = 4  # chunks 0-3 (words up to 32 bytes) in one pass each; the rest in bulk
_CHUNK_POWERS = [np.uint64(pow(_P, 8 * c, 2**64)) for c in range(_CHUNK_PASSES)]
_PIECE = 1 << 15  # bytes scanned per flatnonzero call, see _word_spans
_TAIL = 8  # non-word bytes after the text, so an 8-byte load at any word start stays inside
_SCRATCH_BUDGET = 64 << 20  # bytes of scratch arrays kept per thread between calls


class _Powers:
    """P**i modulo 2**64, grown on demand (a word's chunk c is scaled by P**(8c))."""

    def __init__(self) -> None:
        self.up = np.ones(1, dtype=np.uint64)

    def ensure(self, n: int) -> None:
        if len(self.up) >= n:
            return
        size = max(n, 2 * len(self.up))
        with np.errstate(over="ignore"):
            steps = np.cumprod(np.full(size - 1, _P, dtype=np.uint64), dtype=np.uint64)
        self.up = np.concatenate([[np.uint64(1)], steps])


_POWERS = _Powers()


class _Scratch(threading.local):
    """Per-thread arrays reused from call to call.

    Fresh multi-megabyte temporaries are not free: once malloc has handed their pages back
    to the kernel, touching them again page-faults, and that measured as a third of the
    signing time. So the per-byte and per-word arrays of a batch are taken from here and
    written with ``out=``; an array is valid until the next ``get`` of its name. At most
    _SCRATCH_BUDGET bytes are kept per thread: past that, arrays are allocated per call.
    """

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self.held = 0

    def get(self, name: str, n: int, dtype: type[np.generic]) -> np.ndarray:
        """An uninitialised array of ``n`` items of ``dtype``."""
        old = self.arrays.get(name)
        if old is not None and old.dtype == dtype and len(old) >= n:
            return old[:n]
        arr = np.empty(n + n // 4, dtype=dtype)  # headroom: the next batch may be larger
        held = self.held - (0 if old is None else old.nbytes)
        if held + arr.nbytes <= _SCRATCH_BUDGET:
            self.arrays[name], self.held = arr, held + arr.nbytes
        return arr[:n]


_SCRATCH = _Scratch()


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: spreads every input bit over the whole word."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def _mix_inplace(x: np.ndarray, tmp: np.ndarray) -> np.ndarray:
    """``_mix`` overwriting ``x``, with ``tmp`` (same shape) as the only temporary."""
    with np.errstate(over="ignore"):
        for shift, factor in ((30, 0xBF58476D1CE4E5B9), (27, 0x94D049BB133111EB)):
            np.right_shift(x, np.uint64(shift), out=tmp)
            x ^= tmp
            x *= np.uint64(factor)
        np.right_shift(x, np.uint64(31), out=tmp)
        x ^= tmp
    return x


# -- words ---------------------------------------------------------------------------------
def _in_range(y: np.ndarray, lo: int, hi: int, out: np.ndarray) -> np.ndarray:
    """High bit of each byte set in ``out`` where that byte of ``y`` (< 0x80) is in [lo, hi].

    Adding 0x80 - lo carries into a byte's high bit exactly when the byte is >= lo, and
    since every byte is below 0x80 no carry crosses into the next byte. ``y`` is clobbered.
    """
    np.add(y, np.uint64((0x80 - lo) * _ONES), out=out)
    y += np.uint64((0x7F - hi) * _ONES)
    np.invert(y, out=y)
    out &= y
    return out


def _word_flags(buf: np.ndarray, fold_case: bool) -> np.ndarray:
    """One bool per byte of ``buf`` (length a multiple of 8): is it part of a word?

    Word bytes are 0-9, a-z (A-Z too with ``fold_case``) and every byte from 0x80 up;
    they are tested eight at a time in 64-bit words.
    """
    x = buf.view("<u8")
    y, work, flags = (_SCRATCH.get(name, len(x), np.uint64) for name in ("y", "work", "flags"))
    np.bitwise_and(x, _LOW7, out=y)
    np.bitwise_or(y, _CASE if fold_case else np.uint64(0), out=work)
    _in_range(work, 0x61, 0x7A, out=flags)  # letters
    flags |= _in_range(y, 0x30, 0x39, out=work)  # digits
    flags |= x
    flags &= _HIGH
    flags >>= np.uint64(7)
    if sys.byteorder == "big":
        flags = flags.astype("<u8")
    return flags.view(np.uint8).view(bool)


def _word_spans(buf: np.ndarray, fold_case: bool) -> tuple[np.ndarray, np.ndarray]:
    """(start, end) byte offsets of the words; ``buf`` starts and ends with non-word bytes.

    The offsets are found piece by piece into a scratch array: one flatnonzero over the
    whole batch would allocate megabytes afresh on every call.
    """
    flags = _word_flags(buf, fold_case)
    change = np.not_equal(
        flags[1:], flags[:-1], out=_SCRATCH.get("change", len(flags) - 1, np.bool_)
    )
    edges = _SCRATCH.get("edges", int(np.count_nonzero(change)), np.int64)
    done = 0
    for lo in range(0, len(change), _PIECE):
        found = np.flatnonzero(change[lo : lo + _PIECE])
        found += lo + 1
        edges[done : done + len(found)] = found
        done += len(found)
    return edges[0::2], edges[1::2]


def _load_chunks(
    words64: np.ndarray, offsets: np.ndarray, remaining: np.ndarray, fold_case: bool
) -> np.ndarray:
    """8-byte chunks at byte ``offsets``, lower-cased if asked, cut after ``remaining`` bytes.

    ``words64`` is the buffer read as aligned 64-bit words; each chunk is spliced from the
    two words it straddles, which is twice as fast as numpy's unaligned gather.
    """
    n = len(offsets)
    word = np.right_shift(offsets, 3, out=_SCRATCH.get("chunk_word", n, np.int64))
    chunks = np.take(words64, word, out=_SCRATCH.get("chunks", n, np.uint64), mode="clip")
    shift = np.bitwise_and(
        offsets, 7, out=_SCRATCH.get("chunk_shift", n, np.uint64), casting="unsafe"
    )
    shift <<= np.uint64(3)
    chunks >>= shift
    word += 1
    tmp = np.take(words64, word, out=_SCRATCH.get("chunk_tmp", n, np.uint64), mode="clip")
    np.subtract(np.uint64(64), shift, out=shift)
    tmp <<= shift  # numpy shifts by 64 give 0: an aligned chunk takes nothing from the next
    chunks |= tmp
    if fold_case:  # sets 0x20 in ASCII bytes only: A-Z become a-z, digits and a-z stay
        np.bitwise_and(chunks, _HIGH, out=tmp)
        tmp >>= np.uint64(2)
        np.invert(tmp, out=tmp)
        tmp &= _CASE
        chunks |= tmp
    kept = np.minimum(remaining, 8, out=_SCRATCH.get("chunk_len", n, np.int64))
    chunks &= np.take(_CHUNK_MASK, kept, out=tmp, mode="clip")
    return chunks


def _chunk_poly(chunks: np.ndarray, out: np.ndarray) -> np.ndarray:
    """sum(byte[j] * P**j) modulo 2**64 over the eight little-endian bytes of each chunk."""
    np.bitwise_and(chunks, _BYTE, out=out)
    byte = _SCRATCH.get("poly_byte", len(chunks), np.uint64)
    with np.errstate(over="ignore"):
        for j in range(1, 8):  # in place: each step is one pass over the chunks
            np.right_shift(chunks, np.uint64(8 * j), out=byte)
            byte &= _BYTE
            byte *= _BYTE_POWERS[j]
            out += byte
    return out


def _tail_poly(
    words64: np.ndarray, starts: np.ndarray, lengths: np.ndarray, fold_case: bool
) -> np.ndarray:
    """Polynomial of each word's bytes from chunk _CHUNK_PASSES on, all chunks in one pass.

    For words so long that a pass per chunk would cost more than this bookkeeping (text
    without spaces, such as Chinese, makes one long word per clause).
    """
    extra = (lengths - 1) // 8 + 1 - _CHUNK_PASSES  # chunks left, at least one
    first = np.cumsum(extra) - extra
    word = np.repeat(np.arange(len(starts)), extra)
    index = np.arange(len(word)) - first[word] + _CHUNK_PASSES
    chunks = _load_chunks(words64, starts[word] + 8 * index, lengths[word] - 8 * index, fold_case)
    poly = _chunk_poly(chunks, np.empty(len(word), np.uint64))
    _POWERS.ensure(int(8 * index.max()) + 1)
    with np.errstate(over="ignore"):
        poly *= _POWERS.up[8 * index]
    return np.add.reduceat(poly, first)


def _span_hashes(
    buf: np.ndarray, starts: np.ndarray, ends: np.ndarray, fold_case: bool, out: np.ndarray
) -> np.ndarray:
    """Hash of each word into ``out``: mix(sum(byte[i] * P**i) + length), by 8-byte chunks.

    Chunk c of the words long enough to have one is added in one pass per c for the first
    few c; what is left of longer words goes through ``_tail_poly``.
    """
    words64 = buf.view("<u8")
    lengths = np.subtract(ends, starts, out=_SCRATCH.get("lengths", len(starts), np.int64))
    _chunk_poly(_load_chunks(words64, starts, lengths, fold_case), out)
    for chunk in range(1, _CHUNK_PASSES):
        longer = np.count_nonzero(lengths > 8 * chunk)
        if not longer:
            break
        # a pass over all words (the short ones add a zero chunk) beats gathering and
        # scattering a subset unless the subset is small
        ids = None if 3 * longer > len(starts) else np.flatnonzero(lengths > 8 * chunk)
        _add_chunk(words64, starts, lengths, ids, chunk, fold_case, out)
    with np.errstate(over="ignore"):
        ids = np.flatnonzero(lengths > 8 * _CHUNK_PASSES)
        if len(ids):
            out[ids] += _tail_poly(words64, starts[ids], lengths[ids], fold_case)
        out += lengths.view(np.uint64)  # lengths are positive
    return _mix_inplace(out, _SCRATCH.get("chunk_tmp", len(out), np.uint64))


def _add_chunk(
    words64: np.ndarray,
    starts: np.ndarray,
    lengths: np.ndarray,
    ids: np.ndarray | None,
    chunk: int,
    fold_case: bool,
    out: np.ndarray,
) -> None:
    """Add chunk number ``chunk`` of words ``ids`` (None: all) to their sums in ``out``."""
    if ids is not None:
        starts, lengths = starts[ids], lengths[ids]
    m = len(starts)
    at = np.add(starts, 8 * chunk, out=_SCRATCH.get("chunk_at", m, np.int64))
    left = np.subtract(lengths, 8 * chunk, out=_SCRATCH.get("chunk_left", m, np.int64))
    chunks = _load_chunks(words64, at, left, fold_case)  # nothing kept where left <= 0
    poly = _chunk_poly(chunks, _SCRATCH.get("chunk_poly", m, np.uint64))
    with np.errstate(over="ignore"):
        poly *= _CHUNK_POWERS[chunk]
        if ids is None:
            out += poly
        else:
            out[ids] += poly


def _text_buffer(parts: Sequence[bytes | str], lengths: np.ndarray) -> np.ndarray:
    """The parts' bytes joined by newlines in a scratch array, with _TAIL+ newlines after.

    ``str`` parts must be ASCII. Copying part by part avoids the megabyte-sized joined
    string and bytes objects, whose fresh pages would fault on every call. The first byte
    is a newline too, and the length a multiple of 8; part i starts at 1 + sum(lengths[:i] + 1).
    """
    body = int(lengths.sum()) + len(lengths)
    buf = _SCRATCH.get("text", body + 1 + _TAIL + (-(body + 1 + _TAIL)) % 8, np.uint8)
    view = memoryview(buf)
    at = 1
    for part, size in zip(parts, lengths.tolist(), strict=True):
        view[at : at + size] = part.encode("ascii") if isinstance(part, str) else part
        view[at + size] = 10
        at += size + 1
    buf[0] = 10
    buf[at:] = 10
    return buf


def word_hashes(data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(hash of each word, byte offset where it starts) for a lower-cased byte array."""
    raw = np.ascontiguousarray(data, dtype=np.uint8).tobytes()
    buf = _text_buffer([raw], np.asarray([len(raw)]))
    starts, ends = _word_spans(buf, fold_case=False)
    hashes = np.empty(len(starts), np.uint64)
    if len(starts):
        _span_hashes(buf, starts, ends, False, hashes)
    return hashes, starts - 1


# -- shingles ------------------------------------------------------------------------------
def _shingles_into(words: np.ndarray, k: int, out: np.ndarray) -> np.ndarray:
    """Hash of every run of ``k`` words (len(words) >= k) into ``out``."""
    m = len(out)
    tmp = _SCRATCH.get("shingle_tmp", m, np.uint64)
    with np.errstate(over="ignore"):
        np.multiply(words[:m], _SHINGLE_MIX[0], out=out)
        for t in range(1, k):
            np.multiply(words[t : t + m], _SHINGLE_MIX[t % len(_SHINGLE_MIX)], out=tmp)
            out += tmp
    return _mix_inplace(out, tmp)


def shingle_hashes(words: np.ndarray, k: int) -> np.ndarray:
    """Hashes of every run of ``k`` words (one hash of all words when there are fewer)."""
    n = len(words)
    if n == 0:
        return np.zeros(0, np.uint64)
    k = min(k, n)
    return _shingles_into(words, k, np.empty(n - k + 1, np.uint64))


# -- signatures ----------------------------------------------------------------------------
# Every byte from 0x80 up is a word byte (letters beyond ASCII), so typographic punctuation
# would stick to the words beside it: "workers’" and "workers'" would be two words, and a
# copy that only changed the quote marks would share few shingles with its source.
# the shared typographic map, plus marks that only matter here (the aligner's words never
# hold them, but a shingle would): ellipsis, middle dot, en and em spaces
_SHINGLE_MARKS = {"\u2026": "...", "\u00b7": ".", "\u2002": " ", "\u2003": " ", "\u200a": " "}
_AS_ASCII = {k.encode(): v.encode() for k, v in {**TYPOGRAPHIC, **_SHINGLE_MARKS}.items()}
# found in the UTF-8 bytes by one regular-expression scan: far cheaper than str.translate
_TYPOGRAPHIC_BYTES = re.compile(b"|".join(map(re.escape, sorted(_AS_ASCII, key=len)[::-1])))


def _ascii_punctuation(data: bytes) -> bytes:
    return _TYPOGRAPHIC_BYTES.sub(lambda m: _AS_ASCII[m.group()], data)


def _batch_buffer(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(padded bytes of the texts joined by newlines, byte offset where each text starts).

    ASCII batches skip ``str.lower``: case is folded per word chunk instead, which gives
    the same bytes. Other batches have their typographic punctuation made ASCII first.
    The offsets end with one past the last text.
    """
    parts: Sequence[bytes | str]
    if all(map(str.isascii, texts)):
        parts = texts
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    else:
        parts = [_ascii_punctuation(t.lower().encode("utf-8", "ignore")) for t in texts]
        lengths = np.fromiter(map(len, parts), dtype=np.int64, count=len(parts))
    offsets = np.empty(len(texts) + 1, dtype=np.int64)
    offsets[0] = 1
    np.cumsum(lengths + 1, out=offsets[1:])
    offsets[1:] += 1
    return _text_buffer(parts, lengths), offsets


def _text_of_word(first: np.ndarray, n_words: int) -> np.ndarray:
    """Index of the text each word belongs to, given each text's first word index."""
    owner = _SCRATCH.get("owner", n_words, np.int64)
    owner[:] = 0
    later = first[1:]  # a text with no words repeats the next one's first word
    np.add.at(owner, later[later < n_words], 1)
    return np.cumsum(owner, out=owner)


def _add_shingles(
    flat: np.ndarray, words: np.ndarray, owner: np.ndarray, k: int, bins: int
) -> None:
    """Fold every k-word shingle of the batch into its text's bins in ``flat``.

    Shingles straddling two texts go to the spare row after the last text, which is cheaper
    than filtering them out.
    """
    m = len(words) - k + 1
    hashes = _shingles_into(words, k, _SCRATCH.get("shingles", m, np.uint64))
    cells = _SCRATCH.get("cells", m, np.int64)
    np.right_shift(hashes, np.uint64(64 - bins.bit_length() + 1), out=cells.view(np.uint64))
    row = np.multiply(owner[:m], bins, out=_SCRATCH.get("cell_row", m, np.int64))
    cells += row
    straddle = np.not_equal(owner[:m], owner[k - 1 :], out=_SCRATCH.get("straddle", m, np.bool_))
    np.putmask(cells, straddle, len(flat) - bins)
    _fold_min(flat, cells, hashes)


def _add_short_texts(
    flat: np.ndarray, words: np.ndarray, first: np.ndarray, k: int, bins: int
) -> None:
    """Texts with fewer than ``k`` words: one shingle of all their words each."""
    counts = np.diff(first)
    for size in range(1, k):
        short = np.flatnonzero(counts == size)
        if not len(short):
            continue
        block = words[first[short, None] + np.arange(size)]
        with np.errstate(over="ignore"):
            hashes = _mix((block * _SHINGLE_MIX[:size]).sum(axis=1, dtype=np.uint64))
        cells = short * bins + (hashes >> np.uint64(64 - bins.bit_length() + 1)).astype(np.int64)
        _fold_min(flat, cells, hashes)


def _fold_min(flat: np.ndarray, cells: np.ndarray, hashes: np.ndarray) -> None:
    """flat[cell] = min(flat[cell], low 32 bits of hash), never EMPTY itself."""
    values = _SCRATCH.get("values", len(hashes), np.uint32)
    np.copyto(values, hashes, casting="unsafe")  # keeps the low 32 bits
    np.minimum(values, EMPTY - np.uint32(1), out=values)
    np.minimum.at(flat, cells, values)


def _densify(sig: np.ndarray, bins: int) -> None:
    """Fill empty bins in place from probe sequences that depend only on the bin index.

    An empty bin takes the value of the first bin along its probe sequence that was full
    before densifying. The probes are tried in blocks that double in size, so a text with
    a handful of shingles (hundreds of probes per empty bin) costs a few passes, not
    hundreds.
    """
    empty = sig == EMPTY
    rows, cols = np.nonzero(empty)
    keep = ~empty.all(axis=1)[rows]  # a row with no full bin stays empty
    rows, cols = rows[keep], cols[keep]
    source = sig.copy()
    attempt, width, last = 1, 1, 64 * bins  # probes past ``last`` cannot be needed; a guard
    while len(rows) and attempt <= last:
        steps = np.arange(attempt, min(attempt + width, last + 1), dtype=np.uint64)
        with np.errstate(over="ignore"):
            probe = _mix(
                cols[:, None].astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
                + steps * np.uint64(0xD6E8FEB86659FD93)
            )
        values = source[rows[:, None], (probe % np.uint64(bins)).astype(np.int64)]
        found = values != EMPTY
        hit = found.any(axis=1)
        first = found.argmax(axis=1)[hit]
        sig[rows[hit], cols[hit]] = values[hit, first]
        rows, cols = rows[~hit], cols[~hit]
        attempt += len(steps)
        width = min(2 * width, 256)


def signatures(texts: Sequence[str], k: int = 5, bins: int = 128) -> np.ndarray:
    """MinHash signatures, one row of ``bins`` uint32 values per text.

    A text with no words gets a row of EMPTY values, which equals no other signature.
    """
    if bins & (bins - 1) or not 8 <= bins <= 1024:
        raise ValueError("bins must be a power of two between 8 and 1024")
    n = len(texts)
    flat = np.full((n + 1) * bins, EMPTY, dtype=np.uint32)  # + a spare row, see _add_shingles
    sig = flat[: n * bins].reshape(n, bins)
    if not texts:
        return sig
    buf, offsets = _batch_buffer(texts)
    starts, ends = _word_spans(buf, fold_case=True)
    if not len(starts):
        return sig
    words = _span_hashes(buf, starts, ends, True, _SCRATCH.get("words", len(starts), np.uint64))
    first = np.searchsorted(starts, offsets)
    if len(words) >= k:
        _add_shingles(flat, words, _text_of_word(first, len(words)), k, bins)
    _add_short_texts(flat, words, first, k, bins)
    _densify(sig, bins)
    return sig


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures."""
    if (a == EMPTY).all() or (b == EMPTY).all():
        return 0.0
    return float(np.mean(a == b))
