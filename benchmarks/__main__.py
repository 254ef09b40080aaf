"""Train, load and load-test this project's model and the stock-config peer, then print a table.

The peer is what `rasa init` gives: `recipe: default.v1` with an empty pipeline and empty policies,
which Rasa fills with its default components (DIET, ResponseSelector, TED, UnexpecTED…). Both are
trained on the same domain and data, scored on the same held-out test set, served the same way over
the REST channel with the in-memory tracker store, and sent the same messages: each simulated
parent has conversations of `CONVERSATION_LENGTH` messages. A third column serves this project's
model with the SQL tracker store `make run` uses (SQLite), to show what persistence costs.

Run: `make bench` (about 25 minutes on a quiet 2-core machine, the peer's training most of it,
then about 3 for the Twilio rows and 45 for the load benchmark). `make bench ARGS=--reuse-models`
serves the models and training times of the previous run. The Twilio row (benchmarks/twilio.py)
and the load benchmark (benchmarks/load.py) follow, with the channel's database work
(benchmarks/channel_db.py, half a minute), an emergency's reply time (benchmarks/emergency_reply.py,
a minute) and one message's MiniLM embedding (benchmarks/minilm.py, seconds) between them; `make
bench ARGS="--only twilio"` (or `channel-db`, `emergency-reply`, `minilm`, `load`) runs only one of
them, and `--only rest` this table alone (`--quick` makes the load benchmark short). Figures go to
stdout and var/bench/results.json.
"""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

import aiohttp

from benchmarks import channel_db, emergency_reply, load, minilm, twilio
from benchmarks.common import (PEER_NAME, cpu_seconds, load_average, rasa, summary, train_model, wait_ready,
                               write_peer_config)
from bot.config import get_settings
from bot.evaluation.nlu import TEST_SET_DIR, load_examples
from tests.conftest import free_port

CONSENT_INTENTS = {"affirm", "deny", "withdraw_consent"}
CONCURRENCY_LEVELS = (1, 10)
CONVERSATION_LENGTH = 5
MESSAGES_PER_LEVEL = 300


@dataclass
class Contender:
    name: str
    config: Path
    endpoints: Optional[Path] = None  # None: Rasa's in-memory tracker store
    model: Optional[Path] = None
    figures: Dict[str, float] = field(default_factory=dict)


def train(contender: Contender, out: Path) -> None:
    contender.figures["training time (s)"] = train_model(contender.config, out, contender.name)
    contender.model = out / f"{contender.name}.tar.gz"


def measure_in_subprocess(code: str, env: Dict[str, str]) -> dict:
    """Run `code` in a fresh interpreter, so one model's memory never counts against the other."""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={**os.environ, **env})
    if result.returncode != 0:
        raise RuntimeError(f"measurement failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def model_load_time(contender: Contender) -> None:
    code = (
        "import json, time, logging\n"
        "from rasa.core.agent import Agent\n"
        "t = time.perf_counter(); Agent.load(%r)\n"
        "print(json.dumps({'seconds': time.perf_counter() - t}))\n" % str(contender.model)
    )
    contender.figures["model load time (s)"] = measure_in_subprocess(code, {})["seconds"]


def macro_f1(contender: Contender, bench_dir: Path) -> None:
    code = (
        "import json\n"
        "from bot.config import load_settings\n"
        "from bot.evaluation import nlu\n"
        "print(json.dumps({'macro_f1': nlu.evaluate(load_settings()).macro_f1}))\n"
    )
    env = {"BOT_MODEL": str(contender.model), "BOT_VAR_DIR": str(bench_dir / f"eval-{contender.name}")}
    contender.figures["held-out macro-F1"] = measure_in_subprocess(code, env)["macro_f1"]


async def load_test(port: int, pid: int, texts: List[str], concurrency: int,
                    total: int) -> Dict[str, float]:
    """`concurrency` parents each send messages one after another; latency is the REST round trip.

    The server's CPU time per message is reported too: messages per second is what a parent feels,
    but on a shared machine only CPU per message compares fairly between runs."""
    url = f"http://127.0.0.1:{port}/webhooks/rest/webhook"
    latencies: List[float] = []
    per_worker = total // concurrency

    async def parent(index: int, session: aiohttp.ClientSession) -> None:
        for n in range(per_worker):
            sender = f"bench-{concurrency}-{index}-{n // CONVERSATION_LENGTH}"
            body = {"sender": sender, "message": texts[(index * 7 + n) % len(texts)]}
            started = time.perf_counter()
            async with session.post(url, json=body) as response:
                await response.read()
                response.raise_for_status()
            latencies.append(time.perf_counter() - started)

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        await parent(-1, session)  # warm-up: first parse builds TensorFlow graphs
        latencies.clear()
        cpu_before, started = cpu_seconds(pid), time.perf_counter()
        await asyncio.gather(*(parent(i, session) for i in range(concurrency)))
        elapsed, cpu = time.perf_counter() - started, cpu_seconds(pid) - cpu_before
    return {**summary(latencies), "msg/s": len(latencies) / elapsed,
            "server CPU/msg (ms)": cpu / len(latencies) * 1000, "load average": load_average()}


def in_memory_endpoints(bench_dir: Path) -> Path:
    """An endpoints file that configures nothing: Rasa's in-memory tracker and lock stores, as a
    fresh `rasa init` project (whose endpoints.yml is all comments) has them."""
    path = bench_dir / "endpoints-in-memory.yml"
    path.write_text("# Nothing configured: in-memory tracker store and lock store, no action server.\n")
    return path


def serve_and_load(contender: Contender, texts: List[str], bench_dir: Path) -> None:
    port = free_port()
    # Always name the endpoints file: without --endpoints, `rasa run` reads ./endpoints.yml, and the
    # in-memory columns would run on the project's SQL tracker store and lock store.
    endpoints = contender.endpoints or in_memory_endpoints(bench_dir)
    command = rasa("run", "--model", str(contender.model), "--port", str(port), "--endpoints", str(endpoints))
    env = dict(os.environ)
    if contender.endpoints:
        env.update(BOT_VAR_DIR=str(bench_dir / f"var-{contender.name}"),
                   DATABASE_URL=f"sqlite:///{bench_dir / f'var-{contender.name}' / 'app.db'}",
                   ACTIONS_PORT=str(free_port()))
        (bench_dir / f"var-{contender.name}").mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        asyncio.run(wait_ready(f"http://127.0.0.1:{port}/", process))
        for level in CONCURRENCY_LEVELS:
            result = asyncio.run(load_test(port, process.pid, texts, level, MESSAGES_PER_LEVEL))
            contender.figures.update({f"c={level} {key}": value for key, value in result.items()})
        peak_kb = next(int(line.split()[1]) for line in open(f"/proc/{process.pid}/status")
                       if line.startswith("VmHWM"))
        contender.figures["peak memory (MB)"] = peak_kb / 1024
    finally:
        process.terminate()
        process.wait(timeout=30)


def print_table(ours: Contender, ours_sql: Contender, peer: Contender) -> None:
    print(f"\n{'':28} {'this project':>13} {'+ SQLite store':>15} {'stock peer':>11} {'ratio':>6}")
    for key, value in ours.figures.items():
        other = peer.figures.get(key, float("nan"))
        with_sql = ours_sql.figures.get(key, float("nan"))
        ratio = value / other if other else float("nan")
        print(f"{key:28} {value:13.3f} {with_sql:15.3f} {other:11.3f} {ratio:6.2f}")
    print("ratio = this project / stock peer (in-memory tracker store for both)")


def train_or_reuse(contender: Contender, models: Path, previous: Dict[str, dict], reuse: bool) -> None:
    model = models / f"{contender.name}.tar.gz"
    earlier = previous.get(contender.name, {}).get("figures", {})
    if reuse and model.exists():
        contender.model = model
        # NaN when no earlier run of this benchmark timed it (e.g. a model trained by hand).
        contender.figures["training time (s)"] = earlier.get("training time (s)", float("nan"))
        print(f"[{contender.name}] reusing {model} and its training time, if recorded", flush=True)
        return
    print(f"[{contender.name}] training…", flush=True)
    train(contender, models)


def main(argv: List[str]) -> int:
    only = argv[argv.index("--only") + 1] if "--only" in argv[:-1] else None
    parts = {"rest": rest_comparison, "twilio": twilio.main, "channel-db": channel_db.main,
             "emergency-reply": emergency_reply.main, "minilm": minilm.main, "load": load.main}
    if only is not None and only not in parts:
        raise SystemExit(f"--only takes: {', '.join(parts)}")
    if only is not None:
        return parts[only](argv)
    for part in parts.values():  # all of them, in order, stopping at the first that fails
        if part(argv):
            return 1
    return 0


def rest_comparison(argv: List[str]) -> int:
    """This config against the stock peer over REST: training, load time, macro-F1, latency, CPU."""
    reuse = "--reuse-models" in argv
    settings = get_settings()
    bench_dir = settings.var_dir / "bench"
    bench_dir.mkdir(parents=True, exist_ok=True)
    results = bench_dir / "results.json"
    previous = {c["name"]: c for c in json.loads(results.read_text())} if results.exists() else {}
    ours = Contender("project", settings.project_root / "config.yml")
    peer = Contender(PEER_NAME, write_peer_config(bench_dir))
    # Questions answered by rules alone, so no action server is needed.
    texts = [e.text for e in load_examples(settings.project_root / TEST_SET_DIR)
             if not e.intent.startswith("risk_") and e.intent not in CONSENT_INTENTS]
    for contender in (ours, peer):
        train_or_reuse(contender, bench_dir / "models", previous, reuse)
        print(f"[{contender.name}] measuring load time, macro-F1 and REST latency…", flush=True)
        model_load_time(contender)
        macro_f1(contender, bench_dir)
        serve_and_load(contender, texts, bench_dir)
    ours_sql = Contender("project-sqlite-store", ours.config, settings.project_root / "endpoints.yml",
                         model=ours.model)
    print(f"[{ours_sql.name}] measuring REST latency…", flush=True)
    serve_and_load(ours_sql, texts, bench_dir)
    print_table(ours, ours_sql, peer)
    results.write_text(json.dumps([asdict(c) for c in (ours, ours_sql, peer)], indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
