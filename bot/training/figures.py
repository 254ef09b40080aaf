"""A model's figures: what the registry keeps, the gate compares and the report shows.

They are built from the two evaluation reports (bot/evaluation/nlu.py and risk.py), either scored
here on a model file or read back from the JSON `make evaluate` writes, so the registry, the gate
and `make evaluate` always count the same way. The blind risk set's errors are never kept.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Tuple

from bot.config import Settings
from bot.evaluation import nlu, risk
from bot.evaluation.parsing import parse_all
from bot.risk.examples import load_labelled

EMERGENCY = "emergency"


@dataclass(frozen=True)
class RiskScore:
    recall: float
    precision: float
    support: int


@dataclass(frozen=True)
class Figures:
    intent_macro_f1: float
    intent_accuracy: float
    # intent -> {"precision", "recall", "f1", "support"}
    intents: Dict[str, Dict[str, float]]
    risk: Dict[str, RiskScore]
    false_alarm_rate: float
    benign_count: int
    # (text, expected, predicted) for the held-out intent set's errors
    misclassified: List[Tuple[str, str, str]] = field(default_factory=list)

    def recall(self, category: str) -> float:
        return self.risk[category].recall

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict) -> "Figures":
        return cls(
            intent_macro_f1=raw["intent_macro_f1"], intent_accuracy=raw["intent_accuracy"],
            intents=raw["intents"], risk={k: RiskScore(**v) for k, v in raw["risk"].items()},
            false_alarm_rate=raw["false_alarm_rate"], benign_count=raw["benign_count"],
            misclassified=[tuple(m) for m in raw.get("misclassified", [])],
        )

    def confusion(self) -> Tuple[List[str], List[str], Dict[Tuple[str, str], int]]:
        """(expected labels, predicted labels, counts): correct answers on the diagonal from each
        intent's support, the rest from the misclassified list."""
        counts: Dict[Tuple[str, str], int] = {}
        for _, expected, predicted in self.misclassified:
            counts[(expected, predicted)] = counts.get((expected, predicted), 0) + 1
        for intent, score in self.intents.items():
            wrong = sum(n for (e, _), n in counts.items() if e == intent)
            counts[(intent, intent)] = int(score["support"]) - wrong
        rows = sorted(self.intents)
        columns = rows + sorted({p for _, p in counts} - set(rows))
        return rows, columns, counts


def from_reports(intent_report: dict, risk_report: dict) -> Figures:
    """Figures from the two reports as dictionaries (dataclasses.asdict or the JSON files)."""
    return Figures(
        intent_macro_f1=intent_report["macro_f1"], intent_accuracy=intent_report["accuracy"],
        intents={s["intent"]: {k: s[k] for k in ("precision", "recall", "f1", "support")}
                 for s in intent_report["scores"]},
        risk={s["category"]: RiskScore(s["recall"], s["precision"], s["support"])
              for s in risk_report["scores"]},
        false_alarm_rate=risk_report["false_alarm_rate"], benign_count=risk_report["benign_count"],
        misclassified=[tuple(m) for m in intent_report["misclassified"]],
    )


def measure(settings: Settings, model_file: Path) -> Figures:
    """Score `model_file` on the held-out intent set and the blind risk set, loading it once."""
    root = settings.project_root
    examples = nlu.load_examples(root / nlu.TEST_SET_DIR)
    pairs = load_labelled(root / risk.TEST_SET)
    parsed = parse_all(model_file, [e.text for e in examples] + [t for t, _ in pairs])
    intent_report = nlu.score(examples, [p["intent"]["name"] for p in parsed[:len(examples)]])
    risk_report = risk.score(pairs, [p["risk"]["category"] for p in parsed[len(examples):]])
    return from_reports(asdict(intent_report), asdict(risk_report))


class Evaluation(NamedTuple):
    """The last `make evaluate` (var/reports/): its figures, and the model file it measured (None in
    reports written before they said)."""

    figures: Figures
    model_file: Optional[Path]


def last_evaluation(reports_dir: Path) -> Evaluation:
    """The last `make evaluate`, reading each of its two reports once."""
    intent_report = json.loads((reports_dir / "nlu_evaluation.json").read_text())
    named = intent_report.get("model_file")
    return Evaluation(from_reports(intent_report, json.loads((reports_dir / "risk_evaluation.json").read_text())),
                      Path(named) if named else None)
