"""The load benchmark's bookkeeping (benchmarks/load.py): what it offers and how it counts."""
from __future__ import annotations

import datetime as dt
import math
import os
import random
import subprocess
import sys
import time
from collections import defaultdict

import pytest

from benchmarks.common import cpu_seconds, cpu_seconds_by_command, summary
from benchmarks.load import (BURST_GAP_SECONDS, Sent, Window, duplicates, order_broken, overtaken, schedule,
                             slowest, stage_percentiles, time_to_reply)
from tests.twilio_stub import SentMessage

CORPUS = [f"question {n}" for n in range(120)]


def text(to: str, at: float, body: str = "answer") -> SentMessage:
    return SentMessage("SM" + str(at), "AC1", {"To": to, "Body": body}, at, dt.datetime.now(dt.timezone.utc))


def test_the_schedule_offers_the_windows_rate_with_bursts_and_no_text_twice_per_parent():
    random.seed(7)
    window = Window(parents=200, period=20.0, duration=60.0)
    plan = schedule(window, 1, CORPUS)
    by_parent = defaultdict(list)
    for at, address, body in plan:
        by_parent[address].append((at, body))
    assert len(by_parent) == 200
    # 3 turns each; a burst on a parent's last turn adds its one extra message.
    assert 600 <= len(plan) <= 600 + sum(1 for m in by_parent.values() if len(m) == 4)
    assert all(0 <= at < 60 + BURST_GAP_SECONDS for at, _, _ in plan)
    bursts = sum(1 for m in by_parent.values() for (a, _), (b, _) in zip(m, m[1:]) if b - a < 1)
    assert 20 <= bursts <= 110  # about 10% of the 600 turns
    assert all(len({body for _, body in m}) == len(m) for m in by_parent.values())
    assert [at for at, _, _ in plan] == sorted(at for at, _, _ in plan)


def test_a_message_never_answered_makes_the_percentiles_infinite_not_smaller():
    sent = [Sent(f"SM{n}", "+447000000001", f"q{n}", sent_at=float(n)) for n in range(100)]
    answered = {f"SM{n}": [text("+447000000001", n + 0.5)] for n in range(98)}
    latencies = time_to_reply(sent, answered)
    assert sum(not math.isfinite(t) for t in latencies) == 2
    figures = summary(latencies)
    assert figures["p50 (ms)"] == 500 and figures["p95 (ms)"] == 500
    assert figures["p99 (ms)"] == math.inf


def test_the_slowest_messages_carry_their_steps_and_each_steps_tail_is_its_own():
    sent = [Sent(f"SM{n}", f"+4470000000{n:02d}", f"q{n}", sent_at=float(n)) for n in range(100)]
    latencies = [0.03] * 99 + [0.5]
    stages = {m.sid: {"parse": 0.01, "send": 0.02} for m in sent}
    stages["SM99"] = {"parse": 0.45, "send": 0.05}
    listed = slowest(sent, latencies, stages)
    assert [(m["text"], m["stages (s)"]) for m in listed] == [("q99", {"parse": 0.45, "send": 0.05}),
                                                             ("q0", {"parse": 0.01, "send": 0.02})]
    tails = stage_percentiles(stages)
    assert tails["parse"] == {"p50": 0.01, "p95": 0.01, "p99": 0.01}
    assert stage_percentiles({}) == {}
    assert "stages (s)" not in slowest(sent, latencies, {})[0]


def test_a_reply_that_arrives_before_the_reply_to_the_parents_earlier_message_is_counted():
    parent, other = "+447000000001", "+447000000002"
    sent = [Sent("SM1", parent, "first", 0.0), Sent("SM2", parent, "second", 0.5), Sent("SM3", other, "x", 0.6)]
    in_order = {"SM1": [text(parent, 1.0)], "SM2": [text(parent, 1.5)], "SM3": [text(other, 0.7)]}
    swapped = {"SM1": [text(parent, 2.0)], "SM2": [text(parent, 1.5)], "SM3": [text(other, 0.7)]}
    assert overtaken(sent, in_order) == 0
    assert overtaken(sent, swapped) == 1


def test_the_same_text_twice_in_one_reply_is_a_duplicate_but_two_parts_are_not():
    parent = "+447000000001"
    assert duplicates({"SM1": [text(parent, 1.0, "part one"), text(parent, 1.1, "part two")]}) == 0
    assert duplicates({"SM1": [text(parent, 1.0, "answer"), text(parent, 1.2, "answer")]}) == 1


def test_a_conversation_that_took_messages_out_of_their_arrival_order_or_twice_breaks_order():
    parent = "+447000000001"
    sent = [Sent("SM1", parent, "first", 0.0), Sent("SM2", parent, "second", 0.5), Sent("SM3", parent, "lost", 0.9)]
    # SM2 reached the server first (the first webhook was held up): that order is the one to keep.
    arrivals = {"SM2": 1.0, "SM1": 2.0}
    assert order_broken(sent, arrivals, {parent: ["SM2", "SM1"]}) == 0
    assert order_broken(sent, arrivals, {parent: ["SM1", "SM2"]}) == 1
    assert order_broken(sent, arrivals, {parent: ["SM2", "SM1", "SM1"]}) == 1
    assert order_broken(sent, arrivals, {parent: ["SM2"]}) == 1


def test_cpu_is_told_apart_by_command_line_and_adds_up_to_the_total():
    busy = subprocess.Popen([sys.executable, "-c", "import sys; sum(range(30_000_000)); sys.stdin.read()"],
                            stdin=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while cpu_seconds(busy.pid) < 0.2 and time.monotonic() < deadline:
            time.sleep(0.05)
        by_command = cpu_seconds_by_command(busy.pid, os.getpid())
        assert set(by_command) >= {"-c import sys; sum(range(30_000_000)); sys.stdin.read()"}
        assert sum(by_command.values()) == pytest.approx(cpu_seconds(busy.pid, os.getpid()), abs=0.05)
    finally:
        busy.kill()
        busy.wait()
