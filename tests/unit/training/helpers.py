"""Figures for training tests, written out in full rather than measured (the measuring itself is
tested on the real model in tests/integration/test_model_promotion.py)."""
from __future__ import annotations

from bot.risk.categories import RISK_CATEGORIES
from bot.training.figures import Figures, RiskScore


def figures(macro_f1: float = 0.92, **recalls: float) -> Figures:
    """Every risk category at recall 1.0 unless named, e.g. figures(unsafe_sleep=0.9)."""
    risk = {c.value: RiskScore(recall=recalls.get(c.value, 1.0), precision=0.9, support=42)
            for c in RISK_CATEGORIES}
    return Figures(intent_macro_f1=macro_f1, intent_accuracy=macro_f1,
                   intents={"greet": {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 8}},
                   risk=risk, false_alarm_rate=0.04, benign_count=160)
