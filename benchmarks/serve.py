"""Latency and throughput of the web UI and API under concurrent clients.

    python benchmarks/serve.py --db out/demo.db [--clients 50] [--requests 2000] [--workers 2]

Starts ``storytrace serve`` on a free loopback port in a child process, then drives it with
``--clients`` concurrent keep-alive connections that request the stories page, one story
page and /api/stories in turn, and reports p50 / p95 latency and requests per second for
each route. The run is bounded in count (``--requests``) and in time (``--seconds``).

The clients speak plain HTTP/1.1 over asyncio streams rather than through httpx: on a
2-core machine the load generator shares the CPU with the server, and httpx's per-request
cost (a good part of a core at a few hundred requests/s) would be measured as server time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np

from _shared import write_result


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(port: int, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("server did not start")


async def _get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str) -> int:
    """One GET on an open keep-alive connection; the status, after the whole body is read."""
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    fields = dict(line.lower().split(": ", 1) for line in lines[1:] if ": " in line)
    if "content-length" in fields:
        await reader.readexactly(int(fields["content-length"]))
    else:  # chunked
        while size := int((await reader.readline()).strip() or b"0", 16):
            await reader.readexactly(size + 2)
        await reader.readline()
    return int(lines[0].split()[1])


async def _drive(
    port: int, routes: list[str], clients: int, total: int, seconds: float
) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {r: [] for r in routes}
    counter = iter(range(total))
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for n in counter:
            if time.perf_counter() > deadline:
                break
            route = routes[n % len(routes)]
            start = time.perf_counter()
            status = await _get(reader, writer, route)
            if status != 200:
                raise SystemExit(f"{route}: HTTP {status}")
            times[route].append(time.perf_counter() - start)
        writer.close()

    await asyncio.gather(*(client() for _ in range(clients)))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=1, help="server processes")
    parser.add_argument("--seconds", type=float, default=300, help="stop sending after this")
    args = parser.parse_args()
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "storytrace.cli",
            "serve",
            "--db",
            str(args.db),
            "--port",
            str(port),
            "--workers",
            str(args.workers),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait(port)
        base = f"http://127.0.0.1:{port}"
        story = httpx.get(base + "/api/stories", timeout=60).json()["stories"][0]["id"]
        routes = ["/", f"/story/{story}", "/api/stories"]
        for _ in range(2 * args.workers):  # warm every worker's caches (likely, not surely)
            for route in routes:
                httpx.get(base + route, timeout=60).raise_for_status()
        start = time.perf_counter()
        times = asyncio.run(_drive(port, routes, args.clients, args.requests, args.seconds))
        wall = time.perf_counter() - start
        done = sum(len(v) for v in times.values())
    finally:
        server.terminate()
        server.wait(timeout=10)
    conn = sqlite3.connect(f"{args.db.resolve().as_uri()}?mode=ro", uri=True)
    articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    stories = conn.execute("SELECT count(*) FROM stories").fetchone()[0]
    conn.close()
    figures: dict[str, object] = {
        "articles": articles,
        "stories": stories,
        "clients": args.clients,
        "workers": args.workers,
        "requests": done,
        "requests_per_s": round(done / wall, 1),
    }
    for route, values in times.items():
        name = (
            "story_page"
            if route.startswith("/story/")
            else ("stories_page" if route == "/" else "api_stories")
        )
        ms = np.asarray(values) * 1000
        figures[f"{name}_p50_ms"] = round(float(np.percentile(ms, 50)), 1)
        figures[f"{name}_p95_ms"] = round(float(np.percentile(ms, 95)), 1)
    print(json.dumps(figures, indent=2))
    command = (
        f"python benchmarks/serve.py --db {args.db} --clients {args.clients}"
        f" --requests {args.requests} --workers {args.workers}"
    )
    write_result(f"serve_{articles}_w{args.workers}_c{args.clients}", figures, command)


if __name__ == "__main__":
    main()
