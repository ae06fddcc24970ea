"""Serving a store while another process writes to it: every request answers, none fails.

The server opens the store read-only and SQLite's write-ahead log lets readers go on while a
writer commits, so an ingest and an analyse running beside ``serve`` must not turn any page
or API call into an error, and the server must see the new articles once they commit.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

from hostile import GOOD_BODY

from conftest import SAMPLE


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=20) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_pages_and_api_answer_while_ingest_and_analyse_write(tmp_path):
    db = tmp_path / "live.db"
    first = tmp_path / "first"
    shutil.copytree(SAMPLE / "corpus", first)
    cli = [sys.executable, "-m", "storytrace.cli"]
    subprocess.run([*cli, "ingest", str(first), "--db", str(db)], check=True, capture_output=True)
    subprocess.run(
        [*cli, "analyse", "--db", str(db), "--no-quotes"], check=True, capture_output=True
    )
    more = tmp_path / "more.jsonl"
    more.write_text(
        "\n".join(
            json.dumps({"id": f"m{i}", "title": f"Quay {i}", "text": f"{GOOD_BODY * 3} Item {i}."})
            for i in range(1500)
        )
        + "\n"
    )
    port = _free_port()
    server = subprocess.Popen(
        [*cli, "serve", "--db", str(db), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.time() < deadline and server.poll() is None, "server did not start"
                time.sleep(0.2)
        status, body = _get(f"{base}/api/stories")
        assert status == 200
        before = json.loads(body)["total"]
        writer = subprocess.Popen(
            [*cli, "ingest", str(more), "--db", str(db)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        statuses: list[int] = []
        while writer.poll() is None:
            for path in ("/", "/api/stories", "/api/stories?q=quay", "/?page=2", "/api/outlets"):
                statuses.append(_get(base + path)[0])
            time.sleep(0.05)
        assert writer.returncode == 0
        analyse = subprocess.Popen(
            [*cli, "analyse", "--db", str(db), "--no-quotes"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        while analyse.poll() is None:
            for path in ("/", "/api/stories", "/api/stories?q=quay"):
                statuses.append(_get(base + path)[0])
            time.sleep(0.05)
        assert analyse.returncode == 0
        assert len(statuses) >= 8 and set(statuses) == {200}, sorted(set(statuses))
        status, body = _get(f"{base}/api/stories")
        assert status == 200 and json.loads(body)["total"] > before  # the new stories show
        assert server.poll() is None
    finally:
        server.terminate()
        server.wait(timeout=20)
