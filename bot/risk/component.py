"""The Rasa NLU component that writes `risk` onto every parsed message.

It runs last, after the FallbackClassifier. Its model layer is the mean of the risk classifier's
ranking (bot.risk.classifier) and the intent classifier's risk intents; see
bot.risk.detector.blended_ranking. It is the one place that decides whether the message's
intent is a risk intent: a risk found by either layer becomes the intent (`risk_<category>`, so
the risk rules answer it, even if the classifier was unsure), and a risk intent the detector rejected
(negated, hypothetical) is replaced by the best ordinary intent, or by `nlu_fallback` when that one
is below `fallback_threshold` (keep it equal to the FallbackClassifier's threshold).
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.config import PROJECT_ROOT
from bot.risk import phrases as phrase_list
from bot.risk.categories import Category, category_of_intent, intent_for
from bot.risk.classifier import RISK_RANKING_KEY
from bot.risk.detector import CONCEALED_LABOUR, Assessment, assess, blended_ranking
from bot.risk.matcher import index_of

RISK_KEY = "risk"


def decide_intent(message: Message, assessment: Assessment, fallback_threshold: float) -> None:
    """Make `intent` agree with the risk assessment. `intent_ranking` is left as the classifier
    ranked it, so trainers can still see what the model alone thought."""
    current = (message.get(INTENT) or {}).get("name")
    if assessment.is_risk:
        intent = {"name": intent_for(Category(assessment.category)), "confidence": 1.0}
    elif category_of_intent(current) is not None:
        ordinary = [r for r in message.get(INTENT_RANKING_KEY) or []
                    if category_of_intent(r.get("name")) is None
                    and r.get("name") != DEFAULT_NLU_FALLBACK_INTENT_NAME]
        best = ordinary[0] if ordinary else {"name": None, "confidence": 0.0}
        below = best.get("confidence", 0.0) < fallback_threshold
        intent = {"name": DEFAULT_NLU_FALLBACK_INTENT_NAME, "confidence": fallback_threshold} if below else best
    else:
        return
    message.set(INTENT, dict(intent), add_to_output=True)


def model_ranking(message: Message, intent_weight: float) -> List[Dict[str, Any]]:
    """The risk classifier's ranking blended with the intent classifier's risk intents. A model
    trained before the risk classifier existed (still in the registry, perhaps live) has only the
    intent classifier's ranking, whose risk intents then play the part alone, as they did."""
    intents = message.get(INTENT_RANKING_KEY) or []
    risk = message.get(RISK_RANKING_KEY)
    return blended_ranking(risk, intents, intent_weight) if risk else intents


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class RiskDetector(GraphComponent):
    """Adds `risk: {category, level, matched}` to each message; see bot.risk.detector."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {"phrases": "data/risk/phrases.yml", "model_threshold": 0.5, "emergency_threshold": None,
                "sure_threshold": None, "fallback_threshold": 0.25, "intent_weight": 0.5,
                "concealed_labour": CONCEALED_LABOUR}

    def __init__(self, config: Dict[str, Any]) -> None:
        self.phrases = phrase_list.load(PROJECT_ROOT / config["phrases"])
        index_of(self.phrases)  # built now, so a parent's first message does not wait for it
        self.model_threshold = float(config["model_threshold"])
        self.emergency_threshold = _optional_float(config.get("emergency_threshold"))
        self.sure_threshold = _optional_float(config.get("sure_threshold"))
        self.fallback_threshold = float(config["fallback_threshold"])
        self.intent_weight = float(config["intent_weight"])
        self.concealed_labour = float(config["concealed_labour"])

    @classmethod
    def create(cls, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "RiskDetector":
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            assessment = assess(text, model_ranking(message, self.intent_weight), self.phrases,
                                self.model_threshold, self.emergency_threshold, self.sure_threshold,
                                self.concealed_labour)
            message.set(RISK_KEY, assessment.as_dict(), add_to_output=True)
            if message.get(INTENT):
                decide_intent(message, assessment, self.fallback_threshold)
        return messages


def _optional_float(value: Any) -> Optional[float]:
    return None if value is None else float(value)
