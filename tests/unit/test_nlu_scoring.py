from bot.evaluation.nlu import Example, score


def test_scores_match_a_hand_worked_example():
    examples = [Example("a", "x"), Example("b", "x"), Example("c", "y"), Example("d", "y")]
    report = score(examples, ["x", "y", "y", "nlu_fallback"])
    x, y = report.scores
    assert (x.precision, x.recall) == (1.0, 0.5)
    assert (y.precision, y.recall) == (0.5, 0.5)
    assert round(report.macro_f1, 4) == round((2 / 3 + 0.5) / 2, 4)
    assert report.accuracy == 0.5
    assert ("d", "y", "nlu_fallback") in report.misclassified


def test_a_fallback_prediction_counts_as_a_miss_not_a_hit():
    report = score([Example("zzz", "greet")], ["nlu_fallback"])
    assert report.macro_f1 == 0.0
