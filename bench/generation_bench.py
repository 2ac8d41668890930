"""Generation benchmark: engine throughput against the bound concurrency/latency, per-request overhead,
and embedded-model tokens/s.

    .venv/bin/python bench/generation_bench.py [--n 3000] [--latency 0.2] [--concurrency 64] [--skip-local]

The fake OpenAI-compatible server runs in its own process (tests/fake_llm.py) on 127.0.0.1, so its
threads do not share this process's interpreter lock; results go to bench/out/generation.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from core.generation.spec import BatchSpec  # noqa: E402
from store.connection import open_store  # noqa: E402
from store.generation import run_batch  # noqa: E402


def start_server(latency_s: float) -> tuple[subprocess.Popen[str], str]:
    """Start the fake server process and return it with its base URL."""
    proc = subprocess.Popen([sys.executable, "-m", "tests.fake_llm", "--latency", str(latency_s)], cwd=REPO,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def engine_run(n: int, latency_s: float, concurrency: int) -> dict[str, Any]:
    """Run one batch against a fresh server and store; return throughput and overhead figures."""
    server, url = start_server(latency_s)
    try:
        with tempfile.TemporaryDirectory() as scratch, open_store(Path(scratch) / "bench.duckdb") as store:
            spec = BatchSpec(recipe="domain-qa", n=n, endpoint=url, model="gpt-4o-mini", domain="benchmarks",
                             topics=tuple(f"topic {i}" for i in range(n)), concurrency=concurrency, seed=1,
                             timeout_s=30.0)
            cpu_started, wall_started = time.process_time(), time.perf_counter()
            result = run_batch(store, spec)
            wall_s = time.perf_counter() - wall_started
            cpu_s = time.process_time() - cpu_started
            items = store.cursor().execute("SELECT count(*) FROM items").fetchall()[0][0]
    finally:
        server.terminate()
        server.wait()
    bound = concurrency / latency_s if latency_s > 0 else float("inf")
    achieved = result.ok / wall_s
    return {
        "n": n, "latency_s": latency_s, "concurrency": concurrency, "ok": result.ok, "items": items,
        "wall_s": round(wall_s, 3), "requests_per_s": round(achieved, 1),
        "bound_requests_per_s": round(bound, 1) if bound != float("inf") else None,
        "fraction_of_bound": round(achieved / bound, 3) if bound != float("inf") else None,
        "wall_per_request_ms": round(wall_s * concurrency / result.ok * 1000 - latency_s * 1000, 2),
        "client_cpu_per_request_ms": round(cpu_s / result.ok * 1000, 3),
    }


def local_model_run() -> dict[str, Any] | None:
    """Measure the embedded model: free-text tokens/s single and batched, and guided JSON items."""
    from core.generation.builtin_recipes import builtin_recipes
    from core.generation.client import ChatRequest
    from core.generation.local_model import load_model, local_threads, model_files
    from core.generation.local_sampling import generate_rows
    from core.recipes import parse_reply

    if not any(model_files().values()):
        return None
    started = time.perf_counter()
    tokenizer, model = load_model()
    figures: dict[str, Any] = {"load_s": round(time.perf_counter() - started, 2), "torch_threads": local_threads()}
    story = [{"role": "user", "content": "Tell a long story about a lighthouse keeper, with many details."}]
    for size in (1, 8):
        requests = [ChatRequest("local", story, 0.8, 0.95, 64, 600) for _ in range(size)]
        generate_rows(tokenizer, model, requests[:1])
        started = time.perf_counter()
        replies = generate_rows(tokenizer, model, requests)
        elapsed = time.perf_counter() - started
        figures[f"free_batch{size}_tokens_per_s"] = round(sum(r.completion_tokens for r in replies) / elapsed, 1)
    recipe = {r.name: r for r in builtin_recipes()}["domain-qa"]
    fields = tuple((f.name, f.type) for f in recipe.fields)
    topics = ("rice", "bread", "soup", "tea", "eggs", "pasta", "salad", "fish")
    requests = [ChatRequest("local", recipe.render({"domain": "cooking", "topic_line": f"Topic: {t}\n"}), 0.7, 0.95,
                            160, 600, fields) for t in topics]
    started = time.perf_counter()
    replies = generate_rows(tokenizer, model, requests)
    elapsed = time.perf_counter() - started
    parsed = 0
    for reply in replies:
        try:
            parse_reply(recipe, reply.content)
            parsed += 1
        except ValueError:
            pass
    figures.update({"guided_batch8_s": round(elapsed, 1), "guided_batch8_parsed": parsed,
                    "guided_batch8_tokens_per_s": round(sum(r.completion_tokens for r in replies) / elapsed, 1)})
    return figures


def main() -> None:
    """Run the benchmarks and print and save the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--skip-local", action="store_true")
    args = parser.parse_args()
    report: dict[str, Any] = {"cpus": os.cpu_count(), "load_avg_at_start": os.getloadavg()[0]}
    report["throughput"] = engine_run(args.n, args.latency, args.concurrency)
    print(json.dumps(report["throughput"]), flush=True)
    report["overhead_serial"] = engine_run(300, 0.0, 1)
    print(json.dumps(report["overhead_serial"]), flush=True)
    if not args.skip_local:
        report["local_model"] = local_model_run() or "not set up: thresher local-model setup"
        print(json.dumps(report["local_model"]), flush=True)
    out = REPO / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "generation.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    asyncio.set_event_loop_policy(None)
    main()
