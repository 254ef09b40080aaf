"""Where a reply's CPU time goes: load a model in-process and handle the held-out messages.

`make bench` measures the server from outside; this shows, per message, the CPU milliseconds of
each NLU component and policy (one Rasa graph node each), of the tracker store, of the actions and
of what Rasa does around them. It sends the same messages as the bench (the held-out test set
without risk and consent intents) in conversations of the same length, one at a time, so CPU time
per stage is not blurred by other parents' messages. A few of them read as risks, so the project's
action server runs beside it (its own CPU is not counted): without one, a turn whose custom action
cannot run fails (bot/dialogue/fail_closed_actions.py).

Run: `.venv/bin/python -m benchmarks.profile_turn [--model PATH] [--rounds N] [--cprofile]`
(`--cprofile` also prints the 25 functions with the most cumulative time).
`--rest ENDPOINTS` instead serves the model with `rasa run --endpoints ENDPOINTS` and sends the same
messages over REST, one at a time, printing the server's CPU time per message: what `make bench`
measures, in two minutes rather than twenty-five, for any model (the stock peer's too). An empty
endpoints file gives Rasa's in-memory tracker store; the project's endpoints.yml its SQL store.
"""
from __future__ import annotations

import argparse
import asyncio
import cProfile
import contextlib
import dataclasses
import functools
import logging
import pstats
import subprocess
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Tuple

from rasa.utils.endpoints import EndpointConfig

from benchmarks.__main__ import CONSENT_INTENTS, CONVERSATION_LENGTH
from benchmarks.common import cpu_seconds, load_average, rasa, wait_ready
from bot import supervisor
from bot.config import get_settings
from bot.evaluation.nlu import TEST_SET_DIR, load_examples

# Stage -> CPU seconds, inclusive of everything the wrapped call does.
totals: Dict[str, float] = defaultdict(float)


def _timed(name: Callable[..., str], function: Callable[..., Any]) -> Callable[..., Any]:
    """`function`, adding its CPU time to totals[name(*args)]; works for coroutines too."""
    if asyncio.iscoroutinefunction(function):
        @functools.wraps(function)
        async def timed_coroutine(*args: Any, **kwargs: Any) -> Any:
            started = time.process_time()
            try:
                return await function(*args, **kwargs)
            finally:
                totals[name(*args)] += time.process_time() - started
        return timed_coroutine

    @functools.wraps(function)
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            totals[name(*args)] += time.process_time() - started
    return timed


def instrument() -> None:
    """Wrap the graph nodes, the tracker store and the processor's stages."""
    from rasa.core import processor, tracker_store
    from rasa.engine.graph import GraphNode

    GraphNode.__call__ = _timed(lambda node, *_: f"node {node._node_name}", GraphNode.__call__)
    for stage in ("parse_message", "_predict_next_with_tracker", "_run_action", "handle_message"):
        original = getattr(processor.MessageProcessor, stage)
        setattr(processor.MessageProcessor, stage, _timed(lambda *_, s=stage: f"processor {s}", original))
    store = tracker_store.InMemoryTrackerStore
    store.save = _timed(lambda *_: "tracker store save", store.save)
    store.retrieve = _timed(lambda *_: "tracker store retrieve", store.retrieve)


def turns(texts: List[str], rounds: int) -> Iterator[Tuple[str, str]]:
    """(sender, text) pairs: conversations of CONVERSATION_LENGTH messages, as the bench sends."""
    for n in range(len(texts) * rounds):
        yield f"profile-{n // CONVERSATION_LENGTH}", texts[n % len(texts)]


@contextlib.contextmanager
def action_server() -> Iterator[EndpointConfig]:
    """The project's action server (as `make run` starts it) on a free port, while the profile runs."""
    from tests.conftest import free_port

    port = free_port()
    command = supervisor.action_server(dataclasses.replace(get_settings(), actions_port=port)).command
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        asyncio.run(wait_ready(f"http://127.0.0.1:{port}/health", server))
        yield EndpointConfig(f"http://127.0.0.1:{port}/webhook")
    finally:
        server.terminate()
        server.wait(timeout=30)


async def handle_all(model: Path, actions: EndpointConfig, texts: List[str], rounds: int,
                     profiler: Any) -> Tuple[int, float]:
    from rasa.core.agent import Agent
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    from bot.dialogue import action_result_schema, graph_runner  # noqa: F401  (as in the Rasa server)

    # Rasa's server logs at INFO; left alone, in-process Rasa logs every step at DEBUG.
    configure_logging_and_warnings(logging.INFO)
    configure_structlog(logging.INFO)
    agent = Agent.load(str(model), action_endpoint=actions)
    await agent.handle_message(UserMessage("hello", CollectingOutputChannel(), "warm-up"))
    totals.clear()
    count, started = 0, time.process_time()
    if profiler:
        profiler.enable()
    for sender, text in turns(texts, rounds):
        await agent.handle_message(UserMessage(text, CollectingOutputChannel(), sender))
        count += 1
    if profiler:
        profiler.disable()
    return count, time.process_time() - started


def print_stages(count: int, cpu: float) -> None:
    print(f"{count} messages, {cpu / count * 1000:.2f} ms CPU per message (load average "
          f"{load_average():.1f})\n")
    print(f"{'stage (inclusive CPU)':60} {'ms/msg':>8}")
    for name, seconds in sorted(totals.items(), key=lambda item: -item[1]):
        print(f"{name:60} {seconds / count * 1000:8.2f}")


async def serve_and_send(model: Path, endpoints: Path, texts: List[str], rounds: int) -> Tuple[int, float]:
    """Server CPU seconds for the messages, sent over REST after a warm-up conversation."""
    import aiohttp

    from tests.conftest import free_port

    port = free_port()
    server = subprocess.Popen(rasa("run", "--model", str(model), "--endpoints", str(endpoints),
                                   "--port", str(port)), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/webhooks/rest/webhook"
    try:
        await wait_ready(f"http://127.0.0.1:{port}/", server)
        async with aiohttp.ClientSession() as session:
            async def send(sender: str, text: str) -> None:
                async with session.post(url, json={"sender": sender, "message": text}) as response:
                    response.raise_for_status()
                    await response.read()

            await send("warm-up", "hello")
            count, started = 0, cpu_seconds(server.pid)
            for sender, text in turns(texts, rounds):
                await send(sender, text)
                count += 1
            return count, cpu_seconds(server.pid) - started
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    settings = get_settings()
    parser.add_argument("--model", type=Path, default=settings.model_path)
    parser.add_argument("--rounds", type=int, default=1, help="times through the test messages")
    parser.add_argument("--cprofile", action="store_true")
    parser.add_argument("--rest", type=Path, metavar="ENDPOINTS", help="measure a server instead")
    args = parser.parse_args()
    texts = [e.text for e in load_examples(settings.project_root / TEST_SET_DIR)
             if not e.intent.startswith("risk_") and e.intent not in CONSENT_INTENTS]
    if args.rest:
        count, cpu = asyncio.run(serve_and_send(args.model, args.rest, texts, args.rounds))
        print(f"{args.model}: {count} messages over REST, server CPU {cpu / count * 1000:.2f} ms per "
              f"message (load average {load_average():.1f})")
        return
    instrument()
    profiler = cProfile.Profile() if args.cprofile else None
    with action_server() as actions:
        count, cpu = asyncio.run(handle_all(args.model, actions, texts, args.rounds, profiler))
    print_stages(count, cpu)
    if profiler:
        print()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
