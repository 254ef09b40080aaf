"""The risk categories, their levels, and how several signals raise a conversation's priority."""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Iterable, Optional


class Category(str, Enum):
    EMERGENCY = "emergency"
    UNSAFE_SLEEP = "unsafe_sleep"
    SUBSTANCE_USE = "substance_use"
    DOMESTIC_ABUSE = "domestic_abuse"
    CONCEALED_PREGNANCY = "concealed_pregnancy"
    SELF_HARM = "self_harm"
    CHILD_NEGLECT = "child_neglect"
    BABY_LOSS = "baby_loss"
    NONE = "none"


class Level(str, Enum):
    EMERGENCY = "emergency"
    HIGH = "high"
    NONE = "none"


RISK_CATEGORIES = tuple(c for c in Category if c is not Category.NONE)

# When one message touches several categories, the first in this order is reported: the one whose
# reply matters most in the next minutes.
PRECEDENCE = (
    Category.EMERGENCY,
    Category.SELF_HARM,
    Category.CHILD_NEGLECT,
    Category.DOMESTIC_ABUSE,
    Category.UNSAFE_SLEEP,
    Category.BABY_LOSS,
    Category.SUBSTANCE_USE,
    Category.CONCEALED_PREGNANCY,
)

# The NLU intent that carries each category in the training data (data/nlu/risk.yml).
INTENT_PREFIX = "risk_"


def level_of(category: Category) -> Level:
    if category is Category.EMERGENCY:
        return Level.EMERGENCY
    return Level.NONE if category is Category.NONE else Level.HIGH


def intent_for(category: Category) -> str:
    return f"{INTENT_PREFIX}{category.value}"


def category_of_intent(intent: Optional[str]) -> Optional[Category]:
    if intent and intent.startswith(INTENT_PREFIX):
        try:
            return Category(intent[len(INTENT_PREFIX):])
        except ValueError:
            return None
    return None


@dataclass(frozen=True)
class ConversationPriority:
    """How urgent a conversation is, from every risk signal raised in it so far."""

    level: Level
    categories: tuple
    score: int

    @property
    def is_multi_signal(self) -> bool:
        return len(self.categories) > 1


def conversation_priority(categories: Iterable[str]) -> ConversationPriority:
    """Accumulate signals: any emergency wins; otherwise each distinct high category adds to the score.

    The review behind this project found a concealed pregnancy, drug use and a partner's violence
    together; three categories score 3 and sort above any single one in the queue.
    """
    distinct = sorted({Category(c) for c in categories if c != Category.NONE.value},
                      key=PRECEDENCE.index)
    if not distinct:
        return ConversationPriority(Level.NONE, (), 0)
    level = Level.EMERGENCY if Category.EMERGENCY in distinct else Level.HIGH
    score = len(distinct) + (10 if level is Level.EMERGENCY else 0)
    return ConversationPriority(level, tuple(c.value for c in distinct), score)
