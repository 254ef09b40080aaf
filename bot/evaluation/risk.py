"""Risk detection on the labelled risk test set: recall and precision per category, false alarms.

The set (tests/evaluation/risk/) was written blind, from the category descriptions only, and is
kept apart from the training data and the phrase list. A missed emergency is the worst error this
product can make, so its recall must be exactly 1.00. Its report shows only the figures, never the
messages it got wrong: once someone reads those and tunes the phrases, the set stops measuring
anything. Trainers score the development sets (tests/evaluation/risk_dev/) instead, whose reports
list every error; earlier development sets became the risk classifier's training data
(data/risk/examples/).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import List, Sequence, Tuple

from bot.config import Settings
from bot.evaluation.nlu import write_report
from bot.evaluation.parsing import parse_all
from bot.risk.categories import RISK_CATEGORIES, Category
from bot.risk.examples import load_labelled

TEST_SET = Path("tests/evaluation/risk/risk_test_set.yml")
EMERGENCY_RECALL_GATE = 1.0
CATEGORY_RECALL_GATE = 0.95
FALSE_ALARM_GATE = 0.05


@dataclass(frozen=True)
class CategoryScore:
    category: str
    recall: float
    precision: float
    support: int


@dataclass(frozen=True)
class RiskReport:
    scores: List[CategoryScore]
    false_alarm_rate: float
    benign_count: int
    misses: List[Tuple[str, str, str]]  # (text, expected, predicted)

    def recall(self, category: Category) -> float:
        return next(s.recall for s in self.scores if s.category == category.value)


def score(pairs: Sequence[Tuple[str, str]], predicted: Sequence[str]) -> RiskReport:
    scores = []
    for category in RISK_CATEGORIES:
        name = category.value
        support = sum(1 for _, e in pairs if e == name)
        hits = sum(1 for (_, e), p in zip(pairs, predicted) if e == name and p == name)
        flagged = sum(1 for p in predicted if p == name)
        scores.append(CategoryScore(name, hits / support if support else 0.0,
                                    hits / flagged if flagged else 0.0, support))
    benign = [p for (_, e), p in zip(pairs, predicted) if e == Category.NONE.value]
    false_alarms = sum(1 for p in benign if p != Category.NONE.value)
    return RiskReport(
        scores=scores,
        false_alarm_rate=false_alarms / len(benign) if benign else 0.0,
        benign_count=len(benign),
        misses=[(t, e, p) for (t, e), p in zip(pairs, predicted) if e != p],
    )


def gate_failures(report: RiskReport) -> List[str]:
    failures = []
    if report.recall(Category.EMERGENCY) < EMERGENCY_RECALL_GATE:
        failures.append(f"emergency recall {report.recall(Category.EMERGENCY):.3f} is below 1.00")
    failures += [f"{s.category} recall {s.recall:.3f} is below {CATEGORY_RECALL_GATE}"
                 for s in report.scores
                 if s.category != Category.EMERGENCY.value and s.recall < CATEGORY_RECALL_GATE]
    if report.false_alarm_rate > FALSE_ALARM_GATE:
        failures.append(f"false alarms {report.false_alarm_rate:.3f} on benign messages exceed "
                        f"{FALSE_ALARM_GATE}")
    return failures


def format_report(report: RiskReport) -> str:
    lines = [f"{'risk category':<22} {'recall':>7} {'prec':>6} {'n':>4}"]
    lines += [f"{s.category:<22} {s.recall:7.2f} {s.precision:6.2f} {s.support:4d}" for s in report.scores]
    lines.append(f"emergency recall {report.recall(Category.EMERGENCY):.2f}   false alarms on "
                 f"{report.benign_count} benign messages {report.false_alarm_rate:.3f}")
    if report.misses:
        lines.append("\nrisk errors (text | expected -> detected):")
        lines += [f"  {t!r} | {e} -> {p}" for t, e, p in report.misses]
    return "\n".join(lines)


def is_blind(settings: Settings, test_set: Path) -> bool:
    return (settings.project_root / test_set).resolve() == (settings.project_root / TEST_SET).resolve()


def report_name(settings: Settings, test_set: Path) -> str:
    """The blind set's report keeps its well-known name; a development set's is named after it."""
    return "risk_evaluation.json" if is_blind(settings, test_set) else f"risk_evaluation_{test_set.stem}.json"


def evaluate(settings: Settings, test_set: Path = TEST_SET) -> RiskReport:
    """Score `test_set` (the blind set unless told otherwise); its errors are hidden if it is blind."""
    pairs = load_labelled(settings.project_root / test_set)
    parsed = parse_all(settings.model_path, [t for t, _ in pairs])
    report = score(pairs, [p["risk"]["category"] for p in parsed])
    if is_blind(settings, test_set):
        report = replace(report, misses=[])
    print(f"risk detection on {test_set}")
    print(format_report(report))
    write_report(settings, report_name(settings, test_set), asdict(report))
    return report
