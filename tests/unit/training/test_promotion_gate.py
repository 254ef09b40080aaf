"""The promotion gate's three rules, at and around their boundaries."""
from __future__ import annotations

from bot.training.promotion_gate import failures
from tests.unit.training.helpers import figures


def test_a_model_as_good_as_the_live_one_passes():
    assert failures(figures(), figures()) == []


def test_a_model_with_worse_recall_in_any_risk_category_is_refused():
    found = failures(figures(unsafe_sleep=0.93), figures(unsafe_sleep=0.95))
    assert found == ["unsafe_sleep recall 0.930 is below the live model's 0.950"]


def test_better_recall_elsewhere_does_not_buy_back_a_worse_category():
    found = failures(figures(self_harm=0.90, baby_loss=1.0), figures(self_harm=0.95, baby_loss=0.8))
    assert len(found) == 1 and found[0].startswith("self_harm recall")


def test_emergency_recall_must_be_exactly_one_even_with_no_live_model():
    assert failures(figures(emergency=0.98), None) == ["emergency recall 0.980 is below 1.00"]
    assert failures(figures(), None) == []


def test_intent_macro_f1_may_drop_by_at_most_one_hundredth():
    assert failures(figures(macro_f1=0.910), figures(macro_f1=0.920)) == []
    found = failures(figures(macro_f1=0.909), figures(macro_f1=0.920))
    assert found == ["intent macro-F1 0.909 is more than 0.01 below the live model's 0.920"]


def test_equal_recall_from_the_same_counts_is_not_a_regression():
    assert failures(figures(unsafe_sleep=40 / 42), figures(unsafe_sleep=40 / 42)) == []
