"""Bytes to text: a declared charset first, then UTF-8, then a guess among news encodings.

General detectors are tuned for long texts and pick exotic code pages for short ones: on
"Café crème ... déjà vu, naïve" charset-normalizer answers cp1257 or cp1250, which turns
"è" into "č". News arrives in a few dozen encodings, so the order is:

1. a byte-order mark (UTF-8, UTF-16);
2. the charset the page or the HTTP response declares, when the bytes decode under it
   (and a page that declares Latin-1 but is valid multi-byte UTF-8 is UTF-8: scrapers
   re-save pages without fixing the declaration);
3. strict UTF-8, and UTF-16 without a mark (every other byte NUL);
4. Western European single-byte text (cp1252, a superset of printable Latin-1): most words
   ASCII, the rest accented Latin letters and typographic punctuation;
5. charset-normalizer restricted to the encodings news sites use;
6. cp1252 with replacement characters, so no byte ever stops a record.
"""

from __future__ import annotations

import codecs
import re

# Encodings that news sites have served, for the detector to choose among. cp1257 and the
# Mac and DOS code pages are left out: on short Central European text the detector
# prefers them to the right answer. cp1252 is left out too: Western text has been
# recognised before the detector runs, and on a short cp1250 text the detector ties
# cp1252 with the right answer.
NEWS_ENCODINGS = (
    "cp1250",
    "iso8859_2",
    "cp1251",
    "koi8_r",
    "koi8_u",
    "iso8859_5",
    "cp1253",
    "iso8859_7",
    "cp1254",
    "cp1255",
    "iso8859_8",
    "cp1256",
    "iso8859_6",
    "cp874",
    "cp1258",
    "gb18030",
    "big5",
    "shift_jis",
    "euc_jp",
    "iso2022_jp",
    "euc_kr",
)
# Characters of Western European text beyond ASCII: accented Latin letters and the
# punctuation cp1252 adds (curly quotes, dashes, ellipsis, euro, guillemets, degree, nbsp).
# Left out are the cp1252 readings of bytes that Central European and Turkish code pages
# use for their own letters and that Western languages rarely need: ð þ ý (ğ ş ı in
# cp1254), superscripts (ą ł in cp1250), and ì inside a word (ě in cp1250; Italian
# writes ì at the end of a word, which is allowed).
_WESTERN = frozenset(
    "àáâãäåæçèéêëíîïñòóôõöøùúûüÿÀÁÂÃÄÅÆÇÈÉÊËÍÎÏÑÒÓÔÕÖØÙÚÛÜßŒœŠšŸŽž"
    "‘’‚“”„–—…•€«»°·£¥§©®™¢½¼¾¡¿ªº×\u00a0"
)
_SINGLE_BYTE_WESTERN = {
    "latin-1",
    "latin1",
    "iso8859-1",
    "iso-8859-1",
    "l1",
    "cp1252",
    "windows-1252",
    "ascii",
    "us-ascii",
    "iso8859-15",
    "iso-8859-15",
}
_CHARSET = re.compile(rb"""charset\s*=\s*["']?\s*([A-Za-z0-9._:\-]{2,40})""", re.I)
_XML_ENCODING = re.compile(
    rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._\-]{2,40})""", re.I
)
_INNER_GRAVE_I = re.compile(r"[ìÌ][^\W\d_]")
_SNIFF = 8192


def canonical(name: str | None) -> str | None:
    """The Python codec for a declared charset name, or None when there is no such codec.

    ISO-8859-1 and US-ASCII are read as cp1252, as browsers do (WHATWG encoding standard):
    pages that declare them routinely carry curly quotes from the 0x80-0x9f range.
    """
    if not name:
        return None
    label = name.strip().strip("\"'").lower()
    if label in _SINGLE_BYTE_WESTERN:
        return "cp1252"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def declared_charset(head: bytes) -> str | None:
    """The charset a page declares in its first bytes (meta tag or XML declaration)."""
    head = head[:_SNIFF]
    match = _XML_ENCODING.match(head.lstrip(b"\xef\xbb\xbf"))
    if match is None:
        match = _CHARSET.search(head)
    return canonical(match.group(1).decode("ascii")) if match else None


def utf16_without_bom(data: bytes) -> str | None:
    """ "utf-16-le" or "utf-16-be" when every other byte of the start is NUL, else None."""
    head = data[:_SNIFF]
    if len(head) < 16:
        return None
    pairs = len(head) // 2
    odd = head[1 : 2 * pairs : 2].count(0)
    even = head[0 : 2 * pairs : 2].count(0)
    if odd > 0.6 * pairs and even < 0.05 * pairs:
        return "utf-16-le"
    if even > 0.6 * pairs and odd < 0.05 * pairs:
        return "utf-16-be"
    return None


def looks_binary(data: bytes) -> bool:
    """NUL bytes or many control characters near the start: not a text format."""
    head = data[:_SNIFF]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or utf16_without_bom(head):
        return False
    if b"\x00" in head:
        return True
    controls = sum(1 for byte in head if byte < 32 and byte not in (9, 10, 12, 13, 27))
    return controls > len(head) * 0.05


def _is_western(text: str) -> bool:
    """Text whose non-ASCII characters are all Western European and a minority of letters."""
    extra = [ch for ch in text if ord(ch) > 127]
    if not extra:
        return True
    if any(ch not in _WESTERN for ch in extra if ch not in "ìÌ"):
        return False
    if _INNER_GRAVE_I.search(text):
        return False
    letters = sum(1 for ch in text if ch.isalpha())
    return len(extra) <= 0.3 * max(letters, 1)


def _strict(data: bytes, encoding: str, final: bool = True) -> str | None:
    try:
        return codecs.getincrementaldecoder(encoding)().decode(data, final=final)
    except (UnicodeDecodeError, LookupError):
        return None


def _has_multibyte_utf8(data: bytes, final: bool) -> bool:
    head = data[:65536]
    return (
        any(byte > 127 for byte in head)
        and _strict(head, "utf-8", final and len(data) <= 65536) is not None
    )


def guess_codec(data: bytes, declared: str | None = None, final: bool = True) -> str:
    """The codec ``decode`` reads ``data`` with; ``final=False`` when ``data`` is only the
    start of a longer stream (a character may be cut at its end)."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    codec = canonical(declared)
    trust = codec is not None and not (codec == "cp1252" and _has_multibyte_utf8(data, final))
    if trust and _strict(data, codec, final) is not None:
        return codec
    if _strict(data, "utf-8", final) is not None:
        return "utf-8"
    wide = utf16_without_bom(data)
    if wide:
        return wide
    western = _strict(data, "cp1252", final)
    if western is not None and _is_western(western):
        return "cp1252"
    return _detected(data[:1_000_000]) or "cp1252"


_PUNCTUATION = frozenset("‘’‚“”„–—…•€«»°·\u00a0¡¿")


def _oddities(text: str) -> int:
    """Non-ASCII characters that are neither letters nor common punctuation (¹ ³ ª ¤ ...).

    A wrong single-byte code page turns letters into such symbols: Polish "ą ł" read as
    cp1254 come out "¹ ³". The detector's own ranking cannot see that on short texts.
    """
    return sum(1 for ch in text if ord(ch) > 127 and not ch.isalpha() and ch not in _PUNCTUATION)


def _detected(data: bytes) -> str | None:
    """charset-normalizer among NEWS_ENCODINGS, its near-ties settled by ``_oddities``."""
    from charset_normalizer import from_bytes

    matches = [m for m in from_bytes(data, cp_isolation=list(NEWS_ENCODINGS)) if m.encoding]
    if not matches:
        return None
    floor = min(m.chaos for m in matches)
    close = [m for m in matches if m.chaos <= floor + 0.05]
    best = min(close, key=lambda m: _oddities(str(m)))  # min keeps the detector's order on ties
    try:
        return codecs.lookup(best.encoding).name
    except LookupError:
        return None


def decode(data: bytes, declared: str | None = None) -> str:
    """``data`` as text, never raising: see the module docstring for the order of guesses."""
    return data.decode(guess_codec(data, declared), errors="replace")
