"""Load test of the website example over loopback: uploads, content bombs and GETs at once.

    python benchmarks/website.py            # 100 valid uploads, 20 content-heavy, 200 GETs, all at once

The server runs as it is documented (``python -m examples.website.app``: uvicorn with the
header timeout, two parse workers) in its own process, so its memory is its own. Fixed counts:
100 valid uploads (half filled forms, half flattened copies read from the text layer), 20
content-heavy uploads (2 MB of ``(A) Tj`` on page 1, stopped by the parser's work budget) and
200 GETs of the blank form, every request started at once. It checks, and exits 1 unless:
no 5xx, every upload answered 200 or 422 as expected, the GETs answered in under 1 s at p99,
and the server's memory (the server and its workers) back under 2x its idle figure once the
burst is over. Idle = after start-up, one GET and one upload (so the workers exist).

The same 200 GETs are first sent alone, so the latency under load can be read against this
machine's baseline from the same run (with the load average, since a shared machine skews both).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

VALID, HEAVY, GETS = 100, 20, 200
IDLE_SECONDS = 30  # ParsePool's default idle_seconds


def _rss_mb(pid: int, children: bool = True) -> float:
    """Resident memory of ``pid`` and every process below it (the parse workers), in MB."""
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))
            for task in Path(f"/proc/{current}/task").iterdir() if children else ():
                pending += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, StopIteration):
            continue  # a worker that was just recycled
    return total / 1024


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _payloads() -> tuple[list[bytes], bytes]:
    from scripts.make_fuzz_corpus import content_heavy

    fixtures = ROOT / "tests" / "fixtures"
    valid = [(fixtures / "filled-pypdf.pdf").read_bytes(), (fixtures / "flat-qpdf.pdf").read_bytes()]
    heavy = dict(content_heavy((fixtures / "flat-gs.pdf").read_bytes()))["many-tiny-text-ops.pdf"]
    return valid, heavy


def _percentiles(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    return {"p50_s": round(ordered[len(ordered) // 2], 3), "p99_s": round(ordered[int(len(ordered) * 0.99) - 1], 3),
            "max_s": round(ordered[-1], 3)}


async def _gets_alone(url: str) -> dict[str, float]:
    """The same 200 GETs with nothing else going on: this machine's baseline, from the same run."""
    async with httpx.AsyncClient(base_url=url, timeout=600, limits=httpx.Limits(max_connections=GETS,
                                                                                max_keepalive_connections=0)) as c:
        async def get() -> float:
            start = time.perf_counter()
            (await c.get("/klageformular.pdf", params={"lang": "da"})).raise_for_status()
            return time.perf_counter() - start

        return _percentiles(list(await asyncio.gather(*(get() for _ in range(GETS)))))


async def _load(url: str, valid: list[bytes], heavy: bytes) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=VALID + HEAVY + GETS, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=url, timeout=600, limits=limits) as client:
        async def upload(data: bytes) -> int:
            r = await client.post("/complaints", files={"file": ("k.pdf", data, "application/pdf")})
            return r.status_code

        async def get() -> tuple[int, float]:
            await asyncio.sleep(0.5)  # let the uploads reach the server first: GETs compete with them
            start = time.perf_counter()
            r = await client.get("/klageformular.pdf", params={"lang": "da"})
            return r.status_code, time.perf_counter() - start

        start = time.perf_counter()
        uploads = asyncio.gather(*(upload(valid[i % 2]) for i in range(VALID)))
        bombs = asyncio.gather(*(upload(heavy) for _ in range(HEAVY)))
        gets = asyncio.gather(*(get() for _ in range(GETS)))
        upload_codes, bomb_codes, get_results = await asyncio.gather(uploads, bombs, gets)
        seconds = time.perf_counter() - start
    return {"upload_codes": sorted(set(upload_codes)), "bomb_codes": sorted(set(bomb_codes)),
            "get_codes": sorted({c for c, _ in get_results}), "seconds": round(seconds, 1),
            "gets_under_load": _percentiles([t for _, t in get_results])}


def main() -> int:
    valid, heavy = _payloads()
    port = _free_port()
    # A register of its own: the uploads are stored as on a real site, and thrown away after.
    register = tempfile.TemporaryDirectory(prefix="klageformular-bench-")
    env = dict(os.environ, KLAGEFORMULAR_PREFILL_SECRET="benchmark", PYTHONPATH=str(ROOT),
               KLAGEFORMULAR_DB=f"sqlite:///{register.name}/klager.db")
    server = subprocess.Popen([sys.executable, "-m", "examples.website.app", "--port", str(port)], cwd=ROOT,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{url}/klageformular.pdf", params={"lang": "da"}, timeout=5).raise_for_status()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the server did not start") from None
                time.sleep(0.2)
        httpx.post(f"{url}/complaints", files={"file": ("k.pdf", valid[0], "application/pdf")}, timeout=120)
        time.sleep(1)
        idle, idle_main = _rss_mb(server.pid), _rss_mb(server.pid, children=False)
        baseline = asyncio.run(_gets_alone(url))
        figures: dict[str, Any] = {"load_average_1min": os.getloadavg()[0], "cores": os.cpu_count(),
                                   "gets_alone": baseline}
        figures |= asyncio.run(_load(url, valid, heavy))
        after, after_main = _rss_mb(server.pid), _rss_mb(server.pid, children=False)
        time.sleep(IDLE_SECONDS + 5)  # the pool stops its workers once it has been idle that long
        settled, settled_main = _rss_mb(server.pid), _rss_mb(server.pid, children=False)
        figures |= {"idle_mb": round(idle), "idle_server_mb": round(idle_main), "right_after_mb": round(after),
                    "right_after_server_mb": round(after_main), "settled_mb": round(settled),
                    "settled_server_mb": round(settled_main)}
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            print("the server did not stop within 30 s after SIGTERM; killed", file=sys.stderr)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)  # and any parse worker left behind
        register.cleanup()
    ok = (figures["get_codes"] == [200] and figures["upload_codes"] == [200]
          and figures["bomb_codes"] == [422] and figures["gets_under_load"]["p99_s"] < 1.0
          and figures["settled_mb"] < 2 * idle)
    print(json.dumps({"requests": {"valid_uploads": VALID, "content_heavy_uploads": HEAVY, "gets": GETS}}
                     | figures | {"ok": ok}, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
