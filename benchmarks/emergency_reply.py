"""How long an emergency's first reply takes, against an ordinary question's, one message at a time.

An emergency turn does more than an ordinary one: both classifiers read the message with the MiniLM
embedding, and the action server offers a health visitor (a custom action, whose answer Rasa
checks against its schema). This starts what `make run` starts (`python -m bot run`, SQLite, the
action server, the live model), sends each text from a new parent over REST, one at a time, and
prints the median and slowest round trip of each kind after the first few (warm-up).

Run: `make bench ARGS="--only emergency-reply"` or `.venv/bin/python -m benchmarks.emergency_reply
[--messages N]`; about a minute.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from tests.integration.running_bot import RunningBot, start_bot

WARM_UP = 3
EMERGENCIES = ("my baby is not breathing", "hes gone blue and floppy", "she had a fit and wont wake up")
QUESTIONS = ("is it ok for baby to sleep on his side", "how warm should the room be",
             "can i use a pillow for my baby")
EMERGENCY_OPENING = "Call 999 now"


def round_trips(bot: RunningBot, texts: Sequence[str], messages: int, kind: str) -> List[float]:
    """Seconds per REST round trip, each text from a parent who has not written before."""
    seconds = []
    for n in range(WARM_UP + messages):
        started = time.perf_counter()
        replies = bot.say(f"{kind}-{n}", texts[n % len(texts)])
        seconds.append(time.perf_counter() - started)
        if kind == "emergency" and not replies[0]["text"].startswith(EMERGENCY_OPENING):
            raise SystemExit(f"not answered as an emergency: {texts[n % len(texts)]!r} -> {replies[0]['text']!r}")
    return seconds[WARM_UP:]


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.emergency_reply", description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=30)
    args = parser.parse_known_args(argv)[0]
    with tempfile.TemporaryDirectory() as directory:
        bot = start_bot(f"sqlite:///{Path(directory) / 'app.db'}", token="bench", tmp_path=Path(directory))
        try:
            times: Dict[str, List[float]] = {
                "emergency": round_trips(bot, EMERGENCIES, args.messages, "emergency"),
                "ordinary question": round_trips(bot, QUESTIONS, args.messages, "question")}
        finally:
            bot.stop_with_ctrl_c()
    print(f"REST round trip, one message at a time ({args.messages} each after {WARM_UP} to warm up)")
    for kind, seconds in times.items():
        print(f"{kind:18} median {1000 * statistics.median(seconds):.1f} ms, slowest {1000 * max(seconds):.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
