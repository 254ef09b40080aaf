"""`make evaluate`: per-intent precision, recall and F1 on the held-out test set.

The test set (tests/evaluation/nlu/) holds parent phrasings that are not in the training data, so the
figures measure how the model generalises to new wording, typos and text-speak. The model is asked
exactly as the running bot asks it, so a message the FallbackClassifier rejects counts as a miss.
"""
from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

from bot.config import Settings

MACRO_F1_GATE = 0.90
TEST_SET_DIR = Path("tests/evaluation/nlu")


@dataclass(frozen=True)
class Example:
    text: str
    intent: str


@dataclass(frozen=True)
class IntentScore:
    intent: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Report:
    scores: List[IntentScore]
    macro_f1: float
    accuracy: float
    misclassified: List[Tuple[str, str, str]]  # (text, expected, predicted)


def load_examples(path: Path) -> List[Example]:
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path))
    return [Example(m.get("text"), m.get("intent")) for m in data.intent_examples]


def score(examples: Sequence[Example], predicted: Sequence[str]) -> Report:
    """Per-intent figures over the intents the test set contains; macro-F1 is their plain mean."""
    intents = sorted({e.intent for e in examples})
    scores = []
    for intent in intents:
        tp = sum(1 for e, p in zip(examples, predicted) if e.intent == intent and p == intent)
        fp = sum(1 for e, p in zip(examples, predicted) if e.intent != intent and p == intent)
        fn = sum(1 for e, p in zip(examples, predicted) if e.intent == intent and p != intent)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        scores.append(IntentScore(intent, precision, recall, f1, tp + fn))
    correct = sum(1 for e, p in zip(examples, predicted) if e.intent == p)
    return Report(
        scores=scores,
        macro_f1=sum(s.f1 for s in scores) / len(scores) if scores else 0.0,
        accuracy=correct / len(examples) if examples else 0.0,
        misclassified=[(e.text, e.intent, p) for e, p in zip(examples, predicted) if e.intent != p],
    )


def predict(model_path: Path, texts: Sequence[str]) -> List[str]:
    """The intent the trained model gives each text, after the fallback threshold."""
    import logging

    from rasa.core.agent import Agent
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)  # otherwise every parse is logged to stdout
    agent = Agent.load(str(model_path))

    async def parse_all() -> List[str]:
        return [(await agent.parse_message(text))["intent"]["name"] for text in texts]

    return asyncio.run(parse_all())


def format_report(report: Report) -> str:
    lines = [f"{'intent':<36} {'prec':>6} {'recall':>6} {'f1':>6} {'n':>4}"]
    lines += [
        f"{s.intent:<36} {s.precision:6.2f} {s.recall:6.2f} {s.f1:6.2f} {s.support:4d}"
        for s in report.scores
    ]
    lines.append(f"macro-F1 {report.macro_f1:.3f}   accuracy {report.accuracy:.3f}   "
                 f"gate {MACRO_F1_GATE:.2f}")
    if report.misclassified:
        lines.append("\nmisclassified (text | expected -> predicted):")
        lines += [f"  {t!r} | {e} -> {p}" for t, e, p in report.misclassified]
    return "\n".join(lines)


def main(settings: Settings, gate: bool = False) -> int:
    examples = load_examples(settings.project_root / TEST_SET_DIR)
    report = score(examples, predict(settings.model_path, [e.text for e in examples]))
    print(format_report(report))
    out = settings.var_dir / "reports" / "nlu_evaluation.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(asdict(report), indent=2))
    print(f"\nreport written to {out}")
    if gate and report.macro_f1 < MACRO_F1_GATE:
        print(f"FAIL: macro-F1 {report.macro_f1:.3f} is below the gate {MACRO_F1_GATE}", file=sys.stderr)
        return 1
    return 0
