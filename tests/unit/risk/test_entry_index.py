"""The entry index skips only entries that cannot match, so the phrase layer finds what trying every
entry would find, only faster."""
import random
from pathlib import Path

from bot.risk import discourse, phrases
from bot.risk.matcher import EntryIndex, _match_entry, index_of, is_urgent
from bot.risk.phrases import parse

PROJECT_ROOT = Path(__file__).resolve().parents[3]
SHIPPED = phrases.load(PROJECT_ROOT / "data/risk/phrases.yml")
FILLERS = ("my", "baby", "i", "is", "not", "so", "tired", "and", "the", "what", "if", "now")


def _typo(word: str, rng: random.Random) -> str:
    """One letter dropped or swapped after the first, as a tired thumb does."""
    if len(word) < 5:
        return word
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1:] if rng.random() < 0.5 else word[:i] + word[i + 1] + word[i] + word[i + 2:]


def _message_for(entry: phrases.Entry, rng: random.Random) -> str:
    """One phrase from each group (typed with typos, fillers between), as a parent might write it."""
    words = []
    for group in entry.groups:
        words += [rng.choice(FILLERS)] + [_typo(w, rng) for w in rng.choice(group)]
    return " ".join(words + [rng.choice(FILLERS)])


def _matching_entries(text: str) -> list:
    """The entries that match `text` when every entry of the list is tried."""
    parts = discourse.sentences(text)
    words = discourse.words_of(parts)
    positions = index_of(SHIPPED).vocabulary.positions(words)
    return [e for e in SHIPPED.entries if _match_entry(parts, words, positions, e, is_urgent(words))]


def _candidates(text: str) -> list:
    words = discourse.words_of(discourse.sentences(text))
    return index_of(SHIPPED).entries.candidates(set(index_of(SHIPPED).vocabulary.positions(words)))


def test_every_shipped_entry_that_matches_a_message_is_among_its_candidates():
    rng = random.Random(11)
    texts = [_message_for(e, rng) for e in SHIPPED.entries for _ in range(2)]
    texts += [" ".join(p) for e in SHIPPED.entries for p in e.unless]
    matched_somewhere = 0
    for text in texts:
        candidates = [id(e) for e in _candidates(text)]
        matching = [id(e) for e in _matching_entries(text)]
        assert set(matching) <= set(candidates), text
        matched_somewhere += bool(matching)
    assert matched_somewhere > len(SHIPPED.entries)  # the messages do exercise the list


def test_candidates_are_in_list_order_so_ties_resolve_as_before():
    order = {id(e): i for i, e in enumerate(SHIPPED.entries)}
    rng = random.Random(5)
    text = " ".join(_message_for(e, rng) for e in rng.sample(SHIPPED.entries, 40))
    found = [order[id(e)] for e in _candidates(text)]
    assert len(found) > 1 and found == sorted(found)


def test_an_entry_missing_one_of_its_groups_is_not_a_candidate():
    entries = parse({"version": "t", "categories": {"unsafe_sleep": [
        {"all": [["had a drink", "drunk"], ["on the sofa"]]}]}}).entries
    index = EntryIndex(entries)
    assert index.candidates({"drunk", "on", "the", "sofa"}) == list(entries)
    assert index.candidates({"drunk", "the", "sofa"}) == []  # "on the sofa" lacks "on"
    assert index.candidates({"on", "the", "sofa", "had", "a"}) == []  # "had a drink" lacks "drink"
