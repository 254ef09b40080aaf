from bot.risk.categories import Level, conversation_priority


def test_no_signals_means_no_priority():
    assert conversation_priority([]).level is Level.NONE


def test_the_reviews_pattern_outranks_any_single_risk():
    single = conversation_priority(["substance_use"])
    pattern = conversation_priority(["concealed_pregnancy", "substance_use", "domestic_abuse"])
    assert pattern.level is Level.HIGH and pattern.is_multi_signal
    assert pattern.score > single.score
    assert pattern.categories == ("domestic_abuse", "substance_use", "concealed_pregnancy")


def test_any_emergency_makes_the_conversation_an_emergency():
    priority = conversation_priority(["substance_use", "emergency", "substance_use"])
    assert priority.level is Level.EMERGENCY
    assert priority.score > conversation_priority(["domestic_abuse", "self_harm", "substance_use"]).score
