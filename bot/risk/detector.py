"""Combine the two layers, the trained model and the trainers' phrase list, into one assessment."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Dict, List, Optional

from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME

from bot.risk.categories import Category, Level, category_of_intent, level_of
from bot.risk.matcher import best_match
from bot.risk.phrases import PhraseList

MODEL_MATCH = "model"
# The emergency probability that makes a concealed pregnancy a concealed labour, unless
# config.yml sets the RiskDetector's `concealed_labour`.
CONCEALED_LABOUR = 0.2


@dataclass(frozen=True)
class Assessment:
    """What goes onto the parsed message as `risk`."""

    category: str
    level: str
    matched: Optional[str]

    @property
    def is_risk(self) -> bool:
        return self.level != Level.NONE.value

    def as_dict(self) -> Dict[str, Any]:
        return asdict(self)


NO_RISK = Assessment(Category.NONE.value, Level.NONE.value, None)


def _assessment(category: Category, matched: str) -> Assessment:
    return Assessment(category.value, level_of(category).value, matched)


def blended_ranking(risk_ranking: List[Dict[str, Any]], intent_ranking: List[Dict[str, Any]],
                    intent_weight: float) -> List[Dict[str, Any]]:
    """Each risk category's probability as a weighted mean of the risk classifier's and the intent
    classifier's (its `risk_<category>` intent; 0 if outside its ranking), "none" the rest.

    Why both: the risk classifier learned from the labelled sets and catches more disclosures, but
    it lumps every ordinary question into "none", so it reads some questions near a risk ("can we
    sleep on the settee together") as disclosures; the intent classifier weighs each such question
    against its own answer. On development sets 10-13 (trained on sets 1-9), the mean kept most of
    the risk classifier's recall and cut the ordinary held-out questions it read as risks from 34 of
    661 to 14 (7 with the intent classifier alone)."""
    from_intents = {r["name"]: r.get("confidence", 0.0) for r in intent_ranking
                    if category_of_intent(r.get("name"))}
    blended = [{"name": r["name"], "confidence": (1 - intent_weight) * r.get("confidence", 0.0)
                + intent_weight * from_intents.get(r["name"], 0.0)}
               for r in risk_ranking if category_of_intent(r.get("name"))]
    blended.append({"name": Category.NONE.value, "confidence": max(0.0, 1 - sum(r["confidence"] for r in blended))})
    return sorted(blended, key=lambda r: -r["confidence"])


def model_category(intent_ranking: List[Dict[str, Any]], threshold: float,
                   emergency_threshold: Optional[float] = None,
                   concealed_labour: float = CONCEALED_LABOUR) -> Optional[Category]:
    """The risk category the classifier believes in, if its top intent is a risk intent with at
    least `threshold` confidence (`emergency_threshold` for an emergency, if given); a concealed
    pregnancy with an emergency ranked next at `concealed_labour` or more is an emergency, and so
    is an emergency ranked right after unsafe sleep at `emergency_threshold`."""
    ranked = _without_fallback(intent_ranking)
    if not ranked:
        return None
    top = ranked[0]
    category = category_of_intent(top.get("name"))
    emergency_at = threshold if emergency_threshold is None else emergency_threshold
    if _found_after_unsafe_sleep(category, ranked, emergency_at):
        return Category.EMERGENCY
    if category is Category.EMERGENCY:
        threshold = emergency_at
    if not category or top.get("confidence", 0.0) < threshold:
        return None
    return Category.EMERGENCY if _concealed_labour(category, ranked, concealed_labour) else category


def _concealed_labour(category: Category, ranked: List[Dict[str, Any]], threshold: float) -> bool:
    """The issue names "labour with nobody aware" an emergency: it is where a concealed pregnancy
    becomes one ("waters gone n im pushin, nobody knows im preg": concealed 0.66, emergency 0.24)."""
    return category is Category.CONCEALED_PREGNANCY and _emergency_next(ranked, threshold)


def _found_after_unsafe_sleep(category: Category, ranked: List[Dict[str, Any]], threshold: float) -> bool:
    """A baby found in trouble after sleeping beside an adult, the review's case, reads as unsafe
    sleep first ("he fell asleep on my chest on the sofa and now he wont wake properly": unsafe
    sleep 0.59, emergency 0.38). An emergency the model would believe on its own counts though it
    comes second to unsafe sleep. Only these pairs: other risks beside an emergency keep their
    category."""
    return category is Category.UNSAFE_SLEEP and _emergency_next(ranked, threshold)


def _emergency_next(ranked: List[Dict[str, Any]], threshold: float) -> bool:
    return len(ranked) > 1 and category_of_intent(ranked[1].get("name")) is Category.EMERGENCY and \
        ranked[1].get("confidence", 0.0) >= threshold


def assess(text: str, intent_ranking: List[Dict[str, Any]], phrases: PhraseList,
           model_threshold: float, emergency_threshold: Optional[float] = None,
           sure_threshold: Optional[float] = None, concealed_labour: float = CONCEALED_LABOUR) -> Assessment:
    """Either layer can raise a risk. The phrase layer wins when both fire, since it names the
    words a health visitor will want to see, unless only the model sees an emergency. The model
    alone is ignored when the message denies a risky act, opens as a question or another person's
    story (unless the model is at least `sure_threshold` sure), or (for an emergency) asks what to
    do if, or says it is over; see matcher.Context."""
    match, context = best_match(text, phrases)
    category = model_category(intent_ranking, model_threshold, emergency_threshold, concealed_labour)
    model_emergency = category is Category.EMERGENCY and not context.emergency_hypothetical
    if match and (match.category is Category.EMERGENCY or not model_emergency):
        return _assessment(match.category, match.label)
    if model_emergency:  # "giving birth, my parents do not know i am pregnant": 999 comes first
        return _assessment(category, MODEL_MATCH)
    sure = sure_threshold is not None and top_confidence(intent_ranking) >= sure_threshold
    if category and category is not Category.EMERGENCY and not context.silences(category, sure):
        return _assessment(category, MODEL_MATCH)
    return NO_RISK


def top_confidence(ranking: List[Dict[str, Any]]) -> float:
    """The confidence of the ranking's first entry that is not Rasa's fallback intent."""
    ranked = _without_fallback(ranking)
    return ranked[0].get("confidence", 0.0) if ranked else 0.0


def _without_fallback(ranking: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return [r for r in ranking if r.get("name") != DEFAULT_NLU_FALLBACK_INTENT_NAME]
