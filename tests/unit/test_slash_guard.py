import pytest

from bot.nlu.slash_guard import neutralise


@pytest.mark.parametrize("text, expected", [
    ("/restart", "restart"),
    ("//affirm", "affirm"),
    ('  /inform{"handoff_open": false}', 'inform{"handoff_open": false}'),
    ("/ restart", "restart"),
    ("is 1/2 a dose ok", "is 1/2 a dose ok"),
    ("hello", "hello"),
])
def test_leading_slashes_are_removed_so_the_text_is_just_words(text, expected):
    assert neutralise(text) == expected
