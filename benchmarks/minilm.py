"""CPU time of one message's MiniLM embedding, by length, and of the GELU inside it.

A sixth of the load benchmark's messages take the embedding (config.yml's two-step classifier), and
they are its slowest: this is the part of their reply time that grows with the text. Each figure is
the median CPU time of `--rounds` calls in this process, on one BLAS thread as in the Rasa server
(`minilm.load`); the GELU is timed on one layer's activations (tokens x 1,536) beside SciPy's erf
form of the same curve, which the encoder used before.

Run: `make bench ARGS="--only minilm"` or `.venv/bin/python -m benchmarks.minilm [--rounds N]`; a few seconds.
"""
from __future__ import annotations

import argparse
import math
import statistics
import time
from typing import Callable, List, Optional, Sequence

import numpy as np
from scipy.special import erf

from benchmarks.common import load_average
from bot.nlu import minilm

# Three lengths of parent's text: a greeting, a typical question, a long message near a risk.
TEXTS = ("hiya",
         "is it ok for baby to sleep on his side now he can roll",
         "my baby has been coughing all night and she is really hot and not feeding well, should i take her "
         "to the doctor or wait")


def median_cpu_ms(call: Callable[[], object], rounds: int) -> float:
    call()  # warm-up: first calls fault the weights into memory
    times: List[float] = []
    for _ in range(rounds):
        started = time.process_time()
        call()
        times.append(time.process_time() - started)
    return 1000 * statistics.median(times)


def erf_gelu(x: np.ndarray) -> np.ndarray:
    """The textbook form through SciPy's erf, for comparison."""
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.minilm", description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_known_args(argv)[0]
    model = minilm.load()
    print(f"MiniLM, CPU ms per call, median of {args.rounds} (load average {load_average():.1f})")
    for text in TEXTS:
        tokens = len(model.tokenizer.encode(text))
        activations = np.random.default_rng(0).standard_normal((tokens, 1536)).astype(np.float32)
        print(f"{tokens:3} tokens: embedding {median_cpu_ms(lambda: model.embed(text), args.rounds):6.2f};"
              f" one GELU {median_cpu_ms(lambda: minilm._gelu(activations), args.rounds):5.3f}"
              f" (SciPy erf {median_cpu_ms(lambda: erf_gelu(activations), args.rounds):5.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
