"""Hostile inputs written on demand: each the kind of file a real crawl hands over.

``write_hostile(folder)`` fills a folder with good articles mixed with bad inputs and
returns what each should come to: an article read from it, or a rejection whose reason
contains a given phrase. The reliability tests ingest the folder and check every entry;
``benchmarks/reliability.py`` times each input alone. Nothing here is committed data: the
files are generated, so the suite carries no binary blobs.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import random
import zlib
from dataclasses import dataclass
from pathlib import Path

GOOD_BODY = (
    "The river council of Kessmouth said on Monday that the flood barriers along the "
    "eastern quay would be raised before the storm arrives on Wednesday night. "
)


@dataclass(frozen=True, slots=True)
class Expect:
    """What one hostile file should give: ``reads`` articles, and rejections naming ``reason``."""

    reads: int = 0
    reason: str | None = None  # a phrase every rejection of the file contains
    note: str = ""
    at_least: bool = False  # ``reads`` is a floor (how much survives damage may vary)


def _body(tag: str, repeat: int = 4) -> str:
    return (GOOD_BODY.replace("Monday", tag) * repeat).strip()


def _bomb(inner_prefix: bytes, inner_suffix: bytes, megabytes: int) -> bytes:
    """A gzip member whose payload is ``megabytes`` of one repeated byte between two parts."""
    packer = zlib.compressobj(6, zlib.DEFLATED, 31)
    out = [packer.compress(inner_prefix)]
    chunk = b"a" * (1 << 20)
    out += [packer.compress(chunk) for _ in range(megabytes)]
    out.append(packer.compress(inner_suffix))
    out.append(packer.flush())
    return b"".join(out)


def _warc_record(payload: bytes, target: str | None, record_id: str) -> bytes:
    headers = [
        "WARC/1.0",
        "WARC-Type: response",
        f"WARC-Record-ID: <urn:uuid:{record_id}>",
        "Content-Type: application/http; msgtype=response",
    ]
    if target is not None:
        headers.append(f"WARC-Target-URI: {target}")
    headers.append(f"Content-Length: {len(payload)}")
    return ("\r\n".join(headers) + "\r\n\r\n").encode() + payload + b"\r\n\r\n"


def _http(html: str, content_type: str = "text/html; charset=utf-8") -> bytes:
    body = html.encode("utf-8")
    return f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\n\r\n".encode() + body


def _page(title: str, body: str) -> str:
    return (
        f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
        f"<p>{body}</p><p>{body}</p></article></body></html>"
    )


def write_hostile(folder: Path, bomb_mb: int = 100, huge_mb: int = 12) -> dict[str, Expect]:
    """Write the hostile corpus into ``folder``; returns file name -> what it should give.

    ``bomb_mb`` is how far the decompression bombs expand, ``huge_mb`` the size of the
    over-long records (both above the default caps: 16 MB before the ratio check, 10 MB
    per record).
    """
    folder.mkdir(parents=True, exist_ok=True)
    expect: dict[str, Expect] = {}

    def put(name: str, data: bytes | str, what: Expect) -> None:
        raw = data.encode("utf-8") if isinstance(data, str) else data
        (folder / name).write_bytes(raw)
        expect[name] = what

    put("good-1.txt", "Barriers raised on the quay\n\n" + _body("Monday"), Expect(reads=1))
    put("good-2.txt", "Ferries stop for the storm\n\n" + _body("Tuesday"), Expect(reads=1))
    records = [
        {"text": _body("Wednesday"), "url": "http://[oops/x"},
        {"text": _body("Thursday"), "url": ["http://kessmouth.example/a", "b"]},
        {"text": _body("Friday"), "url": "http://\u2100.com/"},
        {"text": _body("Saturday"), "url": {"href": "x"}, "title": ["a", "list"]},
        {"text": _body("Sunday"), "published": {"nested": True}, "authors": 42},
    ]
    lines = [json.dumps(r) for r in records] + ["[" * 100_000]
    put(
        "bad-fields.jsonl",
        "\n".join(lines) + "\n",
        Expect(reads=5, reason="nested too deeply", note="malformed urls and a deep record"),
    )
    put("nested.json", "[" * 100_000 + "]" * 100_000, Expect(reason="nested too deeply"))
    put(
        "no-target.warc.gz",
        # a WARC.gz compresses each record as its own gzip member
        gzip.compress(_warc_record(_http(_page("Quay closed", _body("Quay", 3))), None, "1"))
        + gzip.compress(
            _warc_record(
                _http(_page("Quay open", _body("Harbour", 3))), "http://kessmouth.example/q", "2"
            )
        ),
        Expect(reads=2, note="a response without WARC-Target-URI, then a normal one"),
    )
    random.seed(7)
    put(
        "random.warc",
        b"WARC/1.0\r\n" + bytes(random.randrange(256) for _ in range(5000)),
        Expect(reason="no article or record", note="a WARC header then noise"),
    )
    name = os.fsdecode(b"odd-\xff\xfe.txt")
    (folder / name).write_text("An oddly named file\n\n" + _body("Monday", 3), encoding="utf-8")
    expect[name] = Expect(reads=1, note="a file name that is not UTF-8")
    put(
        "bomb.jsonl.gz",
        _bomb(b'{"text": "', b'"}\n', bomb_mb),
        Expect(reason="decompression bomb"),
    )
    put(
        "bomb.xml.gz",
        _bomb(
            b'<?xml version="1.0"?><rss><channel><title>x</title><item><description>',
            b"</description></item></channel></rss>",
            bomb_mb,
        ),
        Expect(reason="decompression bomb"),
    )
    put("bomb.txt.gz", _bomb(b"", b"", bomb_mb), Expect(reason="(raise with --max-"))
    put(
        "bomb.csv.gz",
        _bomb(b"title,text\nBomb,", b"\n", bomb_mb),
        Expect(reason="decompression bomb"),
    )
    put(
        "huge-line.jsonl",
        json.dumps({"text": "word " * (huge_mb * (1 << 20) // 5)})
        + "\n"
        + json.dumps({"text": _body("Monday", 2) + " after the huge line"})
        + "\n",
        Expect(reads=1, reason="limit (raise with --max-record-mb)"),
    )
    put(
        "huge-row.csv",
        "title,text\nHuge," + "w" * (huge_mb << 20) + "\nSmall," + _body("Tuesday", 2) + "\n",
        Expect(reads=1, reason="--max-record-mb"),
    )
    put(
        "quirks.csv",
        "title,text\nWith a NUL," + _body("Nul", 2).replace("storm", "st\x00orm") + "\nNo text,\n",
        Expect(
            reads=1, reason="no text", note="a NUL byte is dropped; a row without text is refused"
        ),
    )
    put(
        "latin-1.txt",
        ("Café crème at the déjà vu bar, said the naïve reporter in Paris on Monday. " * 3).encode(
            "latin-1"
        ),
        Expect(reads=1),
    )
    put("empty.txt", b"", Expect(reason="empty"))
    put("binary.txt", bytes(range(256)) * 8, Expect(reason="binary"))
    put(
        "truncated.jsonl.gz",
        gzip.compress(
            "".join(
                json.dumps({"text": f"{_body('Monday', 2)} Part {i}."}) + "\n" for i in range(40)
            ).encode()
        )[:-30],
        Expect(reads=20, reason="corrupt gzip", at_least=True),
    )
    os.mkfifo(folder / "pipe.txt")
    expect["pipe.txt"] = Expect(reason="named pipe")
    loop = folder / "loop"
    loop.mkdir()
    (loop / "back").symlink_to(folder, target_is_directory=True)  # never followed
    return expect


def sample_bytes() -> bytes:
    """A small valid JSONL file, for fuzzers that mutate a good input."""
    out = io.StringIO()
    for i in range(3):
        out.write(
            json.dumps({"id": f"r{i}", "title": f"Item {i}", "text": _body(str(i), 2)}) + "\n"
        )
    return out.getvalue().encode()
