"""Which typed words are real words: the matcher repairs a slip only in a word that is not one."""
import pytest

from bot.risk.words import is_word, taken_as_typed


@pytest.mark.parametrize("abbreviation", ["ot", "hr", "lp", "int"])
def test_the_british_lists_short_abbreviations_are_not_words(abbreviation):
    assert not is_word(abbreviation)


@pytest.mark.parametrize("plural", ["hs", "gps"])
def test_plurals_of_letters_and_two_letter_abbreviations_are_not_words(plural):
    assert not is_word(plural)


@pytest.mark.parametrize("word", ["colour", "nappy", "his", "not", "hes", "keyworker"])
def test_ordinary_british_words_text_speak_and_care_words_are_still_words(word):
    assert is_word(word)


def test_a_real_word_is_taken_as_typed_unless_seldom_written_and_far_rarer_than_the_word_a_repair_gives():
    assert taken_as_typed("lip", "limp")
    assert taken_as_typed("imp", "limp")  # seldom written, but only 11 times rarer
    assert taken_as_typed("rink", "drink")  # 190 times rarer, but written often enough
    assert not taken_as_typed("blu", "blue")
    assert not taken_as_typed("chocking", "choking")
    assert not taken_as_typed("bue", "blue")  # no word at all


def test_a_word_with_no_count_to_weigh_is_taken_as_typed():
    assert taken_as_typed("colour", "colours")  # British: pyspellchecker has no count for it
    assert taken_as_typed("opioid", "opioids")  # the phrase word has none
