"""The promotion gate: a retrain must never quietly make risk detection worse.

A candidate passes only with emergency recall 1.00, no risk category's recall below the live
model's, and intent macro-F1 at most 0.01 below the live model's. With no live model yet, only
the emergency rule applies. An admin may override, with a written reason (bot/training/promotion.py).
"""
from __future__ import annotations

from typing import List, Optional

from bot.training.figures import EMERGENCY, Figures

EMERGENCY_RECALL = 1.0
MACRO_F1_TOLERANCE = 0.01
# Figures are ratios of small counts stored as floats; equal counts must compare equal.
EPSILON = 1e-9


def failures(candidate: Figures, live: Optional[Figures]) -> List[str]:
    """Why the candidate may not go live; empty when it passes."""
    found = []
    if candidate.recall(EMERGENCY) < EMERGENCY_RECALL - EPSILON:
        found.append(f"emergency recall {candidate.recall(EMERGENCY):.3f} is below 1.00")
    if live is None:
        return found
    for category, score in sorted(live.risk.items()):
        mine = candidate.risk.get(category)
        if mine is None:
            found.append(f"{category} recall is not measured (live {score.recall:.3f})")
        elif mine.recall < score.recall - EPSILON:
            found.append(f"{category} recall {mine.recall:.3f} is below the live model's {score.recall:.3f}")
    floor = live.intent_macro_f1 - MACRO_F1_TOLERANCE
    if candidate.intent_macro_f1 < floor - EPSILON:
        found.append(f"intent macro-F1 {candidate.intent_macro_f1:.3f} is more than "
                     f"{MACRO_F1_TOLERANCE} below the live model's {live.intent_macro_f1:.3f}")
    return found
