"""The typing-noise measure: one seeded slip of each kind per text, the same copies on every run."""
from bot.evaluation.typing_noise import SLIPS, mistyped
from bot.risk.normalise import normalise


def test_each_copy_has_exactly_one_slip_of_its_kind_and_is_the_same_on_every_run():
    text = "Hes not breathing and going blue!"
    copies = {kind: mistyped(text, kind, seed=1) for kind in SLIPS}
    assert copies == {kind: mistyped(text, kind, seed=1) for kind in SLIPS}
    assert len(copies["a letter dropped"]) == len(text) - 1
    assert len(copies["a letter doubled"]) == len(text) + 1
    assert copies["a space lost"].count(" ") == text.count(" ") - 1
    assert sorted(copies["two letters swapped"]) == sorted(text) != list(copies["two letters swapped"])
    assert copies['"-ing" typed "-in"'] == "Hes not breathin and going blue!" or \
        copies['"-ing" typed "-in"'] == "Hes not breathing and goin blue!"
    assert copies["no punctuation or capitals"] == "hes not breathing and going blue"


def test_text_speak_replaces_a_written_out_word_and_a_kind_that_cannot_apply_leaves_the_text_alone():
    typed = mistyped("he is not breathing", "text-speak", seed=1)
    assert typed != "he is not breathing" and normalise(typed) == ["he", "is", "not", "breathing"]
    assert mistyped("BLUE", '"-ing" typed "-in"', seed=1) == "BLUE"


def test_two_slips_land_in_one_long_word_and_leave_the_rest_of_the_text_alone():
    text = "oh no hes not breathing"
    typed = mistyped(text, "two slips in one word", seed=1)
    assert typed.startswith("oh no hes not ") and typed != text
    assert abs(len(typed) - len(text)) <= 2
    assert mistyped("he is not ok", "two slips in one word", seed=1) == "he is not ok"  # no word long enough


def test_the_tables_count_emergency_copies_missed_and_benign_copies_flagged_by_each_version():
    from bot.evaluation.typing_noise import flagged, missed, table

    emergencies = {"a letter dropped": [("hes not breathing", "hes ot breathing")]}
    benign = {"a letter dropped": [("dying for a cup of tea", "dying for a cp of tea")]}
    before = {"hes ot breathing": "none", "dying for a cp of tea": "emergency"}
    after = {"hes ot breathing": "emergency", "dying for a cp of tea": "none"}
    assert "| a letter dropped | 1 | 1 | 0 |" in table(emergencies, before, after, missed, "lost")
    assert "| a letter dropped | 1 | 1 | 0 |" in table(benign, before, after, flagged, "flagged")
    assert "| a letter dropped | 1 | 0 | 1 |" in table(benign, after, before, flagged, "flagged")
