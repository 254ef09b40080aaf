"""Parsing with a trained model in this process (how the dashboard measures a model) must leave the
process's logging as it found it."""
import logging

from bot.evaluation.parsing import parse_all


def test_parsing_adds_no_filter_that_drops_a_log_line_repeating_the_one_before(model_path):
    from rasa.utils.common import RepeatedLogFilter

    [parsed] = parse_all(model_path, ["is it safe to swaddle my baby"])
    assert parsed["risk"]["category"] == "none"
    filters = [f for handler in logging.getLogger().handlers for f in handler.filters]
    assert not [f for f in filters if isinstance(f, RepeatedLogFilter)]
