"""The risk component blends both classifiers, makes the intent agree with the assessment, and
leaves the intent ranking alone."""
import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.risk.component import decide_intent, model_ranking
from bot.risk.detector import NO_RISK, Assessment

RANKING = [{"name": "risk_domestic_abuse", "confidence": 0.6},
           {"name": "sleep_sofa", "confidence": 0.3}, {"name": "greet", "confidence": 0.1}]


def message(intent: dict) -> Message:
    return Message(data={"text": "x", "intent": intent, "intent_ranking": list(RANKING)})


def test_a_detected_risk_becomes_the_intent_even_over_a_fallback():
    m = message({"name": "nlu_fallback", "confidence": 0.25})
    decide_intent(m, Assessment("emergency", "emergency", "floppy"), fallback_threshold=0.25)
    assert m.get("intent") == {"name": "risk_emergency", "confidence": 1.0}
    assert m.get("intent_ranking") == RANKING


def test_a_rejected_risk_intent_gives_way_to_the_best_ordinary_intent():
    m = message(RANKING[0])
    decide_intent(m, NO_RISK, fallback_threshold=0.25)
    assert m.get("intent") == {"name": "sleep_sofa", "confidence": 0.3}


def test_a_rejected_risk_intent_with_no_confident_alternative_falls_back():
    m = message(RANKING[0])
    decide_intent(m, NO_RISK, fallback_threshold=0.5)
    assert m.get("intent")["name"] == "nlu_fallback"


def test_an_ordinary_intent_without_risk_is_left_alone():
    m = message({"name": "greet", "confidence": 0.9})
    decide_intent(m, NO_RISK, fallback_threshold=0.25)
    assert m.get("intent") == {"name": "greet", "confidence": 0.9}


def test_the_model_layer_is_the_mean_of_both_classifiers_risks():
    m = message({"name": "sleep_sofa", "confidence": 0.3})
    m.set("risk_ranking", [{"name": "risk_domestic_abuse", "confidence": 0.2}, {"name": "none", "confidence": 0.7},
                           {"name": "risk_emergency", "confidence": 0.1}])
    blended = {r["name"]: r["confidence"] for r in model_ranking(m, intent_weight=0.5)}
    assert blended == pytest.approx({"risk_domestic_abuse": 0.4, "risk_emergency": 0.05, "none": 0.55})
    assert model_ranking(m, intent_weight=0.5)[0]["name"] == "none"


def test_a_model_without_the_risk_classifier_uses_the_intent_ranking_alone():
    m = message(RANKING[0])
    assert model_ranking(m, intent_weight=0.5) == RANKING
