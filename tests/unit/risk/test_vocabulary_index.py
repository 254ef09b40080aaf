"""The phrase list's typo index finds exactly the words that `words_match` accepts, only faster."""
import random
import string
from pathlib import Path

from bot.risk import phrases
from bot.risk.matcher import Vocabulary, words_match

PROJECT_ROOT = Path(__file__).resolve().parents[3]
LIST_WORDS = sorted({w for e in phrases.load(PROJECT_ROOT / "data/risk/phrases.yml").entries
                     for g in e.groups for p in g for w in p})


def _typo(word: str, rng: random.Random) -> str:
    letters = list(word)
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(letters) + 1)
        edit = rng.choice(("delete", "insert", "swap", "replace"))
        if edit == "insert" or not letters:
            letters.insert(i, rng.choice(string.ascii_lowercase))
        elif edit == "delete" and i < len(letters):
            del letters[i]
        elif edit == "swap" and i + 1 < len(letters):
            letters[i], letters[i + 1] = letters[i + 1], letters[i]
        elif i < len(letters):
            letters[i] = rng.choice(string.ascii_lowercase)
    return "".join(letters)


def test_index_matches_the_same_words_as_comparing_with_every_list_word():
    rng = random.Random(7)
    vocabulary = Vocabulary(LIST_WORDS)
    sample = rng.sample(LIST_WORDS, 120)  # comparing with every list word is the slow part
    queries = sample + [_typo(w, rng) for w in sample for _ in range(2)]
    for query in queries:
        expected = {w for w in LIST_WORDS if words_match(query, w)}
        assert vocabulary.matches(query) == expected, query


def test_positions_lists_every_place_a_list_word_occurs_in_order():
    vocabulary = Vocabulary(["breathing", "baby"])
    positions = vocabulary.positions(["baby", "not", "breathng", "my", "bavy", "baby"])
    assert positions == {"baby": [0, 5], "breathing": [2]}
