"""`make evaluate`: both reports. `--gate` names the gates whose failure makes the command exit 1.

`make test` gates on intents only for now: the risk gate (emergency recall 1.00, every category
0.95, false alarms at most 5%) is printed on every run but not yet met on the blind test set.
"""
from __future__ import annotations

import sys
from typing import Collection

from bot.config import Settings
from bot.evaluation import nlu, risk

GATES = ("intents", "risk")


def main(settings: Settings, gates: Collection[str] = ()) -> int:
    failures = {"intents": nlu.gate_failures(nlu.evaluate(settings))}
    print()
    failures["risk"] = risk.gate_failures(risk.evaluate(settings))
    for gate, messages in failures.items():
        for message in messages:
            enforced = "FAIL" if gate in gates else "below target (not gated)"
            print(f"{enforced}: {message}", file=sys.stderr)
    return 1 if any(failures[g] for g in gates) else 0
