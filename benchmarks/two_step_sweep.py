"""How the two-step intent classifier's thresholds trade the embedding's cost for accuracy.

Loads a model trained with bot.nlu.two_step_classifier.TwoStepIntentClassifier, scores every text of
the held-out intent set and of the risk development sets (never the blind risk set) with both its
models once, then replays the FallbackClassifier and the RiskDetector on either answer for each
pair of `words_confidence` and `risk_probability`. It prints intent macro-F1, risk recall per
category and false alarms on the development sets, and the share of messages that skip the
embedding. config.yml's values were chosen from this table.

Run: `.venv/bin/python -m benchmarks.two_step_sweep [MODEL]` (default: the live model).
"""
from __future__ import annotations

import asyncio
import itertools
import logging
import sys
from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np

from benchmarks.__main__ import CONSENT_INTENTS
from bot.config import get_settings
from bot.evaluation import nlu, risk
from bot.risk.examples import load_labelled

DEV_SETS = Path("tests/evaluation/risk_dev")
WORDS_CONFIDENCES = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
RISK_PROBABILITIES = (0.02, 0.05, 0.1, 0.2, 0.3, 2.0)  # 2.0: a hint of risk never forces the embedding


def components(agent) -> Dict[str, object]:
    nodes = agent.processor.graph_runner._instantiated_nodes
    return {type(n._component).__name__: n._component for n in nodes.values()
            if getattr(n, "_component", None) is not None}


def both_answers(agent, texts: List[str]) -> Dict[str, Tuple[np.ndarray, np.ndarray]]:
    """Each text's probabilities from the words-only and from the full model, as parsed by Rasa."""
    from bot.nlu.two_step_classifier import count_features
    from rasa.shared.nlu.constants import TEXT

    classifier = components(agent)["TwoStepIntentClassifier"]
    answers: Dict[str, Tuple[np.ndarray, np.ndarray]] = {}

    def probabilities(message):
        counts = count_features(message, classifier.words.counts.shape[0])
        words = classifier.words.probabilities(counts)
        full = classifier.full.probabilities(counts, classifier.embed(message.get(TEXT) or ""))
        answers[message.get(TEXT)] = (words, full)
        return full

    classifier.probabilities = probabilities

    async def parse_all() -> None:
        for text in texts:
            await agent.parse_message(text)

    asyncio.run(parse_all())
    return answers


def outcome(agent, text: str, probabilities: np.ndarray) -> Tuple[str, str]:
    """(intent, risk category) after the FallbackClassifier and the RiskDetector."""
    from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
    from rasa.shared.nlu.training_data.message import Message

    parts = components(agent)
    intents = parts["TwoStepIntentClassifier"].words.intents
    ranking = sorted(({"name": i, "confidence": float(p)} for i, p in zip(intents, probabilities)),
                     key=lambda r: -r["confidence"])
    message = Message(data={TEXT: text})
    message.set(INTENT, ranking[0], add_to_output=True)
    message.set(INTENT_RANKING_KEY, ranking[:10], add_to_output=True)
    parts["FallbackClassifier"].process([message])
    parts["RiskDetector"].process([message])
    return message.get(INTENT)["name"], message.get("risk")["category"]


def main(argv: List[str]) -> None:
    from rasa.core.agent import Agent
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)
    settings = get_settings()
    agent = Agent.load(argv[0] if argv else str(settings.model_path))
    root = settings.project_root
    examples = nlu.load_examples(root / nlu.TEST_SET_DIR)
    pairs = [p for path in sorted((root / DEV_SETS).glob("*.yml")) for p in load_labelled(path)]
    bench = [e.text for e in examples if not e.intent.startswith("risk_") and e.intent not in CONSENT_INTENTS]
    answers = both_answers(agent, sorted({e.text for e in examples} | {t for t, _ in pairs}))
    outcomes = {t: (outcome(agent, t, w), outcome(agent, t, f)) for t, (w, f) in answers.items()}
    risky = np.array([i.startswith("risk_") for i in components(agent)["TwoStepIntentClassifier"].words.intents])

    def report(label: str, words_confidence: float, risk_probability: float) -> None:
        def skips(text: str) -> bool:
            words = answers[text][0]
            return words.max() >= words_confidence and words[risky].max() < risk_probability

        def pick(text: str) -> Tuple[str, str]:
            return outcomes[text][0] if skips(text) else outcomes[text][1]

        f1 = nlu.score(examples, [pick(e.text)[0] for e in examples]).macro_f1
        found = risk.score(pairs, [pick(t)[1] for t, _ in pairs])
        recall = " ".join(f"{s.recall:.3f}" for s in found.scores)
        print(f"{label:24} F1 {f1:.3f}  recall {recall}  false alarms {found.false_alarm_rate:.3f}  "
              f"skip: bench {np.mean([skips(t) for t in bench]):.2f} dev {np.mean([skips(t) for t, _ in pairs]):.2f}")

    print("recall per category:", " ".join(s.category for s in risk.score(pairs, ["none"] * len(pairs)).scores))
    report("never the embedding", 0.0, 2.0)
    report("always the embedding", 2.0, 2.0)
    for words_confidence, risk_probability in itertools.product(WORDS_CONFIDENCES, RISK_PROBABILITIES):
        report(f"words {words_confidence} risk {risk_probability}", words_confidence, risk_probability)


if __name__ == "__main__":
    main(sys.argv[1:])
