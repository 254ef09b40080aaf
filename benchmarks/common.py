"""What every benchmark module shares: starting and timing servers, the stock peer, percentiles."""
from __future__ import annotations

import asyncio
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, Iterable, List, Sequence

import aiohttp

PEER_NAME = "stock-peer"
PEER_CONFIG = """\
# What `rasa init` writes: Rasa fills the empty pipeline and policies with its defaults.
recipe: default.v1
assistant_id: stock-peer
language: en
pipeline:
policies:
"""


def rasa(*args: str) -> List[str]:
    """The venv's `rasa` command line, whichever interpreter runs the benchmark."""
    return [str(Path(sys.executable).with_name("rasa")), *args]


def train_model(config: Path, out: Path, name: str) -> float:
    """Train `config` on the project's domain and data into `out/name.tar.gz`; return the seconds it took."""
    started = time.perf_counter()
    subprocess.run(
        rasa("train", "--config", str(config), "--domain", "domain.yml", "--data", "data",
             "--out", str(out), "--fixed-model-name", name, "--force"),
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def write_peer_config(bench_dir: Path) -> Path:
    path = bench_dir / "peer_config.yml"
    path.write_text(PEER_CONFIG)
    return path


async def wait_ready(url: str, process: subprocess.Popen, timeout: float = 300) -> None:
    """Poll `url` until it answers 200; fail at once if the server process has exited."""
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"the server for {url} exited during start-up")
            try:
                async with session.get(url) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


def percentile(ordered: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of sorted samples. Unlike interpolation it copes with `inf`, which
    the load benchmark uses for a message that never got a reply."""
    return ordered[max(math.ceil(p / 100 * len(ordered)) - 1, 0)]


def summary(seconds: Iterable[float], prefix: str = "") -> Dict[str, float]:
    """p50 / p95 / p99 in milliseconds (NaN when there are fewer than two samples)."""
    ordered = sorted(seconds)
    return {f"{prefix}p{p} (ms)": percentile(ordered, p) * 1000 if len(ordered) >= 2 else float("nan")
            for p in (50, 95, 99)}


def cpu_seconds(*pids: int) -> float:
    """User + system CPU these processes have used: comparable even when the machine is busy,
    which latency and throughput are not. A process that has gone counts as nothing."""
    total = 0.0
    for pid in pids:
        try:
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def cpu_seconds_by_command(*pids: int) -> Dict[str, float]:
    """`cpu_seconds` per command line (without the interpreter's path), so a benchmark can say
    which of a deployment's processes (a Rasa server, the action server, a worker) spends it."""
    found: Dict[str, float] = {}
    for pid in pids:
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
        except (FileNotFoundError, ProcessLookupError):
            continue
        name = " ".join(a for a in argv[1:5] if a) or argv[0]
        found[name] = found.get(name, 0.0) + cpu_seconds(pid)
    return found


def stop_process(process: subprocess.Popen, timeout: float = 30) -> None:
    """SIGTERM (a graceful stop), then SIGKILL if it hangs."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def load_average() -> float:
    """The one-minute load average, recorded beside each figure: on a shared 2-core machine a
    latency means little without it."""
    return float(open("/proc/loadavg").read().split()[0])
