"""Latency and throughput of the web UI and API under concurrent clients.

    python benchmarks/serve.py --db out/demo.db [--clients 50] [--requests 2000]

Starts ``storytrace serve`` on a free loopback port in a child process, then drives it with
``--clients`` concurrent httpx clients that request the stories page, one story page and
/api/stories in turn (a fixed number of requests in all, so the run is bounded), and
reports p50 / p95 latency and requests per second for each route.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
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


async def _drive(base: str, routes: list[str], clients: int, total: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {r: [] for r in routes}
    counter = iter(range(total))

    async def worker(client: httpx.AsyncClient) -> None:
        for n in counter:
            route = routes[n % len(routes)]
            start = time.perf_counter()
            response = await client.get(base + route)
            response.raise_for_status()
            times[route].append(time.perf_counter() - start)

    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        await asyncio.gather(*(worker(client) for _ in range(clients)))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=1, help="server processes")
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
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait(port)
        base = f"http://127.0.0.1:{port}"
        story = json.loads(httpx.get(base + "/api/stories").text)["stories"][0]["id"]
        routes = ["/", f"/story/{story}", "/api/stories"]
        for route in routes:  # warm caches once
            httpx.get(base + route, timeout=60).raise_for_status()
        start = time.perf_counter()
        times = asyncio.run(_drive(base, routes, args.clients, args.requests))
        wall = time.perf_counter() - start
    finally:
        server.terminate()
        server.wait(timeout=10)
    with __import__("sqlite3").connect(args.db) as conn:
        articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        stories = conn.execute("SELECT count(*) FROM stories").fetchone()[0]
    figures: dict[str, object] = {
        "articles": articles,
        "stories": stories,
        "clients": args.clients,
        "requests": args.requests,
        "requests_per_s": round(args.requests / wall, 1),
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
    write_result(f"serve_{articles}_w{args.workers}", figures, f"python benchmarks/serve.py --db {args.db}")


if __name__ == "__main__":
    main()
