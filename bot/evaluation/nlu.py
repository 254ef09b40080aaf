"""`make evaluate`: per-intent precision, recall and F1 on the held-out test set.

The test set (tests/evaluation/nlu/) holds parent phrasings that are not in the training data, so the
figures measure how the model generalises to new wording, typos and text-speak. The model is asked
exactly as the running bot asks it, so a message the FallbackClassifier rejects counts as a miss.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import List, Sequence, Tuple

from bot.config import Settings
from bot.evaluation.parsing import parse_all

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


def evaluate(settings: Settings) -> Report:
    """Score the model on the held-out set, print the table and keep the JSON report."""
    examples = load_examples(settings.project_root / TEST_SET_DIR)
    parsed = parse_all(settings.model_path, [e.text for e in examples])
    report = score(examples, [p["intent"]["name"] for p in parsed])
    print(format_report(report))
    write_report(settings, "nlu_evaluation.json", asdict(report))
    return report


def gate_failures(report: Report) -> List[str]:
    if report.macro_f1 < MACRO_F1_GATE:
        return [f"intent macro-F1 {report.macro_f1:.3f} is below {MACRO_F1_GATE}"]
    return []


def write_report(settings: Settings, name: str, content: dict) -> None:
    """Write a report under var/reports/, naming the model file it measured: `make test` measures
    models/candidate.tar.gz there, which need not be the model in service."""
    out = settings.var_dir / "reports" / name
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({**content, "model_file": str(settings.model_path)}, indent=2))
    print(f"\nreport written to {out}")
