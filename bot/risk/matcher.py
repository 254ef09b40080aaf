"""Find the trainers' risk phrases in a parent's message, tolerating typos, and read the context.

A phrase matches when its words appear in order, each within a small edit distance (typos), with at
most `MAX_GAP` other words between them ("not really breathing"). A dropped letter ("bue") or a lost
space ("hesblue") is read back only in a typed word that is not a real word (bot/risk/words.py),
so "lip" stays "lip". Words just before a match decide
whether it is asserted: "I never drink" (negated) and "what if he stops breathing" (hypothetical)
are not risks. An emergency is never silenced by a negation, because its phrases carry their own
("is not breathing"); a hypothetical silences it only with an explicit cue and no sign of urgency.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from os.path import commonprefix
from typing import AbstractSet, Dict, FrozenSet, Iterable, Iterator, List, Mapping, Optional, Sequence, Set, Tuple

from bot.risk import discourse
from bot.risk.categories import PRECEDENCE, Category
from bot.risk.discourse import Sentence
from bot.risk.normalise import SLIPS_FROM, normalise, slips
from bot.risk.phrases import Entry, Phrase, PhraseList
from bot.risk.words import is_common, is_word, real_words, taken_as_typed

MAX_GAP = 2
CONTEXT_WINDOW = 2  # words just before a match that can negate it ("would never", "do not")
# Words read back from a match for its negation: the window, a negating subject ("neither of us") and
# the coordinators between ("never drink or smoke")
NEGATING_REACH = 8

COORDINATORS = frozenset({"or", "and", "nor"})
NEGATIONS = frozenset({"never", "not", "no", "nobody", "without", "stopped", "quit", "neither"})
# A negation that is its own subject, read as one negation word where it ends: "neither of us drinks
# or smokes", "none of us smoke" (development set 53).
NEGATING_SUBJECTS = (("neither", "of", "us"), ("neither", "of", "them"), ("neither", "of", "you"),
                     ("none", "of", "us"), ("none", "of", "them"))
NEGATING_FIRST = frozenset(cue[0] for cue in NEGATING_SUBJECTS)
# Hypothetical and general-question cues, as word sequences, in three kinds: a question reaches only
# to the end of its own sentence ("is it normal to be scared of him? he kicked me" discloses), while
# another person's story and the parent's own past reach over the whole message.
QUESTION_CUES = (
    ("in", "case"), ("what", "happens"), ("signs", "of"), ("is", "it"), ("is", "there"),
    ("how", "common"), ("how", "likely"), ("what", "causes"), ("what", "is", "a"), ("what", "are"),
    ("what", "is", "the", "risk"), ("what", "is", "the", "chance"), ("how", "risky"),
    ("can", "we"), ("can", "you"), ("how", "would", "i", "tell"),
    ("how", "dangerous"), ("can", "i"), ("should", "i"), ("could", "i"),
    ("how", "do", "i", "know"), ("how", "would", "i", "know"), ("risk", "of"), ("chance", "of"),
    ("how", "do", "i", "support"), ("how", "can", "i", "support"),
)
STORY_CUES = (
    ("help", "a", "friend"), ("support", "a", "friend"), ("my", "neighbour"),
    ("my", "friend"), ("friends",), ("my", "mum"), ("my", "sister"),
    ("my", "cousin"), ("heard",), ("on", "the", "news"),
    ("my", "nan"), ("my", "gran"), ("my", "aunt"), ("my", "auntie"), ("a", "friend"), ("my", "mate"),
    ("my", "mates"), ("someone", "i", "know"), ("a", "girl", "i", "know"),
    ("help", "my", "friend"), ("help", "my", "sister"),
    # something read or watched is a story too, like one heard or on the news
    ("read", "about"), ("post", "about"), ("article",), ("documentary",),
)
PAST_CUES = (("ever",), ("years", "ago"), ("when", "i", "was"), ("used", "to"))
HYPOTHETICAL_CUES = QUESTION_CUES + STORY_CUES + PAST_CUES
# "if" makes a match hypothetical only in a message that asks something ("if i have had a drink can
# she sleep with me"); "if social services find out they will take my baby" and "if i leave he will
# kill me" are fears and threats, told as they are.
ASKING = frozenset({"can", "could", "should", "ok", "okay", "alright", "safe", "safer", "what", "how",
                    "does", "allowed"})
# A message that opens like a yes/no question ("can smoking weed in pregnancy hurt the baby") asks
# about a risk rather than telling one; "can not stop drinking" opens with a negation, not a question.
QUESTION_OPENERS = frozenset({"can", "could", "does", "do", "is", "are", "should", "will", "would"})
# Only these make an emergency hypothetical: someone asking what to do "if he ever" stops breathing.
EMERGENCY_HYPOTHETICAL_CUES = (
    ("what", "if"), ("what", "should", "i", "do", "if"), ("what", "do", "i", "do", "if"),
    ("in", "case"), ("ever",), ("signs", "of"), ("how", "do", "i", "know", "if"), ("to", "do", "if"),
    ("how", "would", "i", "know"), ("what", "to", "do", "if"), ("years", "ago"),
    ("how", "would", "i", "tell"), ("how", "do", "i", "tell", "if"), ("what", "happens", "if"),
    ("signs", "that"), ("what", "are", "the", "signs"), ("last", "year"), ("last", "month"),
    ("know", "the", "signs"),
)
# A purpose told as prevention just before the sign: "so i do not scald her", "to avoid choking".
# Not "to stop": "doing back blows to stop her choking" is the emergency being dealt with; nor "so
# he can not", a result ("wedged so he can not breathe").
PREVENTION_CUES = (("so", "i", "do", "not"), ("so", "we", "do", "not"), ("so", "he", "does", "not"),
                   ("so", "she", "does", "not"), ("so", "they", "do", "not"), ("so", "it", "does", "not"),
                   ("so", "baby", "does", "not"), ("so", "as", "not", "to"), ("to", "avoid"), ("to", "prevent"))
# Words that may stand between the purpose and the sign: "so i do not accidentally scald her".
PREVENTION_REACH = 1
# Only with no urgency word in the message: an emergency foreseen ("he will stop breathing") or
# over ("but is fine now", "pinked up straight away", "the doctor checked her").
MODALS = frozenset({"will", "might", "could", "would", "may"})
CALM = frozenset({"fine", "ok", "okay", "better", "settled", "calm", "asleep", "alright", "home", "good"})
# It is over when the baby is told as well again (TOLD_WELL; "checked him" says not who checked, so
# it may be the parent), or when it was long ago or a professional checked (DEALT_WITH).
TOLD_WELL = (("fine", "now"), ("ok", "now"), ("okay", "now"), ("is", "fine"), ("are", "fine"),
             ("pinked", "up"), ("came", "round", "straight"), ("back", "to", "normal"), ("checked", "him"),
             ("checked", "her"), ("all", "fine"), ("was", "fine"), ("was", "ok"), ("was", "okay"),
             ("absolutely", "fine"), ("perfectly", "fine"), ("totally", "fine"), ("completely", "fine"),
             ("fine", "since"), ("wakes", "fine"), ("wakes", "up", "fine"), ("went", "away"), ("goes", "away"),
             ("warmed", "up"), ("warms", "up"), ("much", "better"), ("all", "good"), ("himself", "since"),
             ("herself", "since"))
# (development set 53) the colour told as come back: "was pink again in minutes", "her colour came
# back"; not "went pink again", which a pattern of colour changes also tells, and only when no colour
# of a sign (SIGN_COLOURS) and nothing acute (ACUTE) is told after it: "was pink again for a minute,
# then blue again" is not over.
COLOUR_BACK = (("was", "pink", "again"), ("is", "pink", "again"), ("colour", "came", "back"),
               ("colour", "has", "come", "back"), ("back", "to", "pink"), ("back", "to", "her", "normal", "colour"),
               ("back", "to", "his", "normal", "colour"))
SIGN_COLOURS = frozenset({"blue", "grey", "gray", "purple", "dusky", "pale", "white", "mottled"})
DEALT_WITH = (("doctor", "checked"), ("gp", "checked"), ("hospital", "checked"), ("last", "year"),
              ("last", "month"), ("years", "ago"))
RESOLVED = TOLD_WELL + DEALT_WITH
# Things a child may swallow that do their harm while the child seems well: a button battery burns
# through the gullet within hours, and two magnets pinch the bowel between them, so the NHS and the
# Child Accident Prevention Trust say A&E at once, even if the child seems fine. An emergency match
# that names one (the phrase list's words, so typos and plurals are forgiven: "batteries", "buton
# battery", "magnets") is not over because the child is told as well ("but he is fine", "fine now",
# "was fine after, is that ok"): only a time long past or a professional's check or word is an end
# (DEALT_WITH, REASSURED). For the model, which names no sign, any such word in the message counts.
UNSEEN_HARMS = frozenset({"battery", "magnet", "magnetic"})
# "was fine an hour ago" tells how the baby was before the sign, not that it is over; so does "was
# fine at teatime" (development set 47).
EARLIER_TIMES = frozenset({"ago", "earlier", "before", "until", "morning", "yesterday", "teatime", "lunchtime",
                           "bedtime", "dinnertime", "afternoon", "evening"})
BEFORE_THE_SIGN = (("was", "fine"), ("was", "ok"), ("was", "okay"))
# A professional's reassurance ends an emergency only when the sign is told as past and over ("went
# blue last week, the doctor said that is normal"), never when it is happening ("shes gone floppy,
# the nurse said it was normal"): a 999 said in vain is a lesser error than a missed emergency.
REASSURED = (("said", "that", "is", "normal"), ("said", "it", "is", "normal"),
             ("said", "it", "was", "normal"), ("said", "that", "was", "normal"))
# A baby told as well after the sign ("a bit floppy after her jabs but feeding and smiling") and
# reassured by a professional ("said that is ok" too) is no emergency, however the tense reads ("she
# has been" is typed "shes been"), unless the telling says the sign came on or goes on (ACUTE):
# "shes gone floppy, the nurse said it was normal" stays 999.
REASSURED_WELL = REASSURED + (("said", "that", "is", "ok"), ("said", "it", "is", "ok"),
                              ("said", "that", "is", "fine"), ("said", "it", "is", "fine"),
                              ("said", "she", "is", "ok"), ("said", "he", "is", "ok"))
# Not "feeding": "struggling with feeding" is no sign of a well baby.
WELL_SIGNS = frozenset({"smiling", "smiley", "laughing", "giggling", "babbling", "cooing", "alert", "playing"})
ACUTE = frozenset({"gone", "going", "keeps", "keep", "still", "again", "now", "suddenly", "just", "worse"})
PAST_MARKERS = (("last",), ("yesterday",), ("earlier",), ("ago",), ("other", "day"), ("jabs",),
                ("vaccinations",), ("injections",), ("immunisations",))
PRESENT_MARKERS = frozenset({"is", "are", "am", "has", "have", "keeps", "keep", "still",
                             "again", "gone", "going"})
# The model layer cannot read context, so the whole message is read for it, more strictly than
# around a phrase: a message full of "not" and "no" is often the risk itself ("have not fed him",
# "no point living", "not seen a midwife"), so only a denial of a risky act silences the model
# ("i never drink when i have the baby", "we do not co sleep"), and only a question or another
# person's story that opens the message makes it hypothetical ("is it safe to ...", "my sister had").
DENIALS = (("never",), ("do", "not"), ("does", "not"), ("did", "not"), ("would", "not"),
           ("will", "never"), ("would", "never"))
DENIAL_SUBJECTS = frozenset({"i", "we", "he", "she", "they", "partner", "boyfriend", "husband"})
CONDITIONALS = frozenset({"if", "unless", "when", "or"})
# The acts a parent denies doing (compared by stem); "i do not feed her" is no denial.
DENIED_ACTS = ("drink", "drank", "smoke", "use", "take", "took", "leave", "left", "sleep", "slept",
               "co", "bed", "fall", "fell", "doze", "hit", "hurt", "shake", "shook", "touch", "go",
               "went", "put")
FILLERS = frozenset({"ever", "even", "really", "actually", "usually"})
OPENING = 3  # a question or third-person cue must start within the message's first words
# Words that contradict one category for the model: a baby left WITH a grown-up is not left alone,
# and good news from a scan is no loss ("left the baby with her dad", "20 week scan, all good").
CARERS = frozenset({"dad", "daddy", "mum", "mummy", "mam", "nan", "nana", "nanna", "grandma", "granny",
                    "grandad", "grandpa", "gran", "partner", "husband", "boyfriend", "sister", "auntie",
                    "aunt", "brother", "childminder", "babysitter"})
BABYSITTING = frozenset({"babysitting", "babysits", "babysat", "babysitter", "childminder"})
# Unsafe sleep is a baby sharing a sleep surface or on a sofa; a baby told to be in their own
# space ("the baby was in the moses basket", "she sleeps in her cot"), or a parent who stayed
# awake, contradicts it. Not "put him back in his cot" or "will not settle in the moses basket":
# only a verb of being or sleeping before "in" says where the baby is.
BEING_IN = frozenset({"is", "was", "were", "asleep", "sleeping", "sleeps", "slept", "stays", "stayed"})
OWN_SPACE = frozenset({"cot", "crib", "bassinet", "moses", "cotbed", "basket", "sidecar"})
STAYED_AWAKE = (("i", "was", "awake"), ("i", "stayed", "awake"), ("i", "kept", "awake"))
# After a drink, the night's care handed to another grown-up ("partner did the night feed", "my
# daughters doing the night feeds", "partners sober and has the baby") contradicts unsafe sleep too,
# unless the message names a shared surface (SHARED_SURFACES): "partner did the night feed but i had
# her in our bed after" is still told. A carer's "s" ("partners sober", "daughters doin") is read off.
NIGHT_CARERS = CARERS | frozenset({"daughter", "son", "wife", "girlfriend", "fella", "mother", "father"})
NIGHT_CARE_REACH = 4
NIGHT_FEEDS = frozenset({"feed", "feeds", "feeding", "feedings"})
SHARED_SURFACES = frozenset({"bed", "sofa", "couch", "settee", "armchair", "chair", "chest", "co", "cosleep",
                             "cosleeping", "bedshare", "bedsharing", "bedshared", "recliner", "beanbag"})
GOOD_NEWS = (("all", "good"), ("all", "fine"), ("all", "ok"), ("all", "okay"), ("all", "well"),
             ("fine", "now"), ("strong", "heartbeat"), ("healthy", "baby"), ("nothing", "wrong"),
             ("better", "now"), ("loads", "better"), ("much", "better"), ("all", "clear"),
             ("is", "perfect"), ("everything", "perfect"))
# Baby loss is contradicted when everyone the message says died is a pet or an older relative:
# "our dog died", "my nan passed away", "lost my hamster" (not "mum said he died").
NOT_A_BABY = frozenset({"dog", "puppy", "cat", "kitten", "hamster", "rabbit", "bunny", "budgie",
                        "goldfish", "fish", "pet", "horse", "nan", "nana", "nanna", "gran", "granny",
                        "grandma", "grandad", "grandpa", "grandmother", "grandfather", "dad", "mum",
                        "uncle", "aunt", "auntie"})
DIED = frozenset({"died", "passed"})
AGES = frozenset({"old", "older", "bigger", "weeks", "months", "years", "days"})
URGENCY = frozenset({"now", "tonight", "currently", "already", "asap", "quick", "moment",
                     "911", "999", "ambulance", "hurry", "urgent"})
# "help" is urgent as a plea ("help!", "help me", "help my baby"), not as a verb or a noun in a
# question ("how can i help her", "where can i get help for a friend").
NOT_A_PLEA_BEFORE = frozenset({"i", "can", "to", "get", "for", "some", "any", "the", "of", "you"})
NOT_A_PLEA_AFTER = frozenset({"a", "her", "him", "them", "with", "for", "out"})

# What a broken-off message (discourse.broken_off) is matched as: no phrase, its shape.
BROKEN_OFF = "(message broken off after the baby's verb)"
# What a bare plea for the baby (discourse.plea_for_baby) is matched as.
PLEA_FOR_BABY = "(a plea for the baby and nothing else)"
# What a bare plea typed in haste (discourse.plea_in_haste) is matched as.
PLEA_IN_HASTE = "(a plea typed in haste and nothing else)"


@dataclass(frozen=True)
class PhraseMatch:
    category: Category
    label: str
    start: int
    negated: bool
    hypothetical: bool

    @property
    def asserted(self) -> bool:
        return not self.negated and not self.hypothetical


def words_match(word: str, target: str) -> bool:
    """Equal, or within 1 edit (5-7 letters) or 2 edits (8+ letters), as typed or after taking
    off an ending ("stoping" ~ "stopped" ~ "stop"). Words of 4 letters or fewer must be exact but
    for a slip of the thumb (`slips`: "bule", "greey") or a dropped letter in a non-word
    (`_letter_dropped`: "bue"): any other edit turns "dead" into "read" and "slap" into "slip". A
    longer word that is no real word may hold two slips (`_two_slips`: "reething", "lopppy"). A real
    word (`words.taken_as_typed`) is read as another only where their vowels or endings differ
    (`_close`): "drank" ~ "drink", "taken" ~ "takes", but "confusion" is no "convulsion"."""
    if word == target:
        return True
    real = taken_as_typed(word, target)
    return _close(word, target, real) or _close(stem(word), stem(target), real) \
        or _letter_dropped(word, target) or _two_slips(word, target)


# Letters a phrase word needs before two slips in one typed word are forgiven: two slips leave
# little of a shorter word ("stiff" two slips from "sniff", "stuff", "staff").
TWO_SLIPS_FROM = 6
TWO_SLIPS = 2


def _two_slips(word: str, target: str) -> bool:
    """Two slips in one word (swapped, dropped or doubled letters, or a vowel for another, the first
    letters included: "reething", "lopppy", "coknig" for "choking"), when what was typed is no word:
    a real word two edits from a risk word is another word ("sloppy"), so is an "-ing" typed "-in"
    ("slappin" is no "slapped"), two words run together are read apart instead ("cosleep" is no
    "asleep"; see `_read_apart`), and a common word one slip away is meant ("hmiself" is
    "himself", not "myself"; see `_one_edit_from_a_word`). The one-edit rules keep the first letter (`_close`) because
    real words often differ there; a non-word is a slip wherever it went wrong."""
    return len(target) >= TWO_SLIPS_FROM and abs(len(word) - len(target)) <= TWO_SLIPS \
        and not _typed_word(word) and not _run_together(word) and not _one_edit_from_a_word(word) \
        and _edit_distance(word, target, TWO_SLIPS, SLIPS) <= TWO_SLIPS


@lru_cache(maxsize=16384)
def _one_edit_from_a_word(word: str) -> bool:
    """Whether a common word (`words.is_common`) is one edit from `word` (a letter swapped, dropped,
    added or changed): "hmiself" is one slip from "himself", which is then meant, not two from
    "myself". A rare one is not: "reething" is still "breathing", though one letter from "teething"."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    cuts = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    edits = {a + b[1:] for a, b in cuts if b} | {a + b[1] + b[0] + b[2:] for a, b in cuts if len(b) > 1} \
        | {a + c + b[1:] for a, b in cuts if b for c in letters} | {a + c + b for a, b in cuts for c in letters}
    return any(is_common(edit) for edit in edits - {word})


def _letter_dropped(word: str, target: str) -> bool:
    """`target` (DROPPED_FROM letters or more) with one letter left out, its first included ("bue",
    "lmp", "reathing", "ot" for "not"), when what was typed is not a real word, or one far rarer than
    `target` ("blu"; see `words.taken_as_typed`): "lip" is never "limp", nor "bat" "bath", nor "no"
    "not". Edits otherwise keep the first letter and spare short words (see `_close`)."""
    return len(word) == len(target) - 1 and word in _dropped(target) and not taken_as_typed(word, target)


MAX_EDITS = 2


def _allowed_edits(target: str) -> int:
    return 0 if len(target) <= 4 else 1 if len(target) <= 7 else MAX_EDITS


def _indexed_edits(target: str) -> int:
    """How many edits from `target` the vocabulary index must reach: `_close`'s, or `_two_slips`'."""
    return TWO_SLIPS if len(target) >= TWO_SLIPS_FROM else _allowed_edits(target)


def _close(word: str, target: str, real: bool = False) -> bool:
    """Typos rarely touch the first letter, and real words that differ only by a few letters often
    do differ there (drinking~thinking, crying~trying, fitting~sitting, bleeding~feeding). A slip
    of the thumb is the exception, even in the first two letters ("rbeathing"): fast thumbs make
    it, and it turns few real words into others. When `word` is `real`, what was typed is a word
    of its own, so a consonant may differ only in the ending ("taken" ~ "takes", "pregnant" ~
    "pregnancy"; see REAL): elsewhere it makes another word ("still" is no "spilled")."""
    if word == target or word in slips(target):
        return True
    if not word or word[0] != target[0]:
        return False
    allowed = _allowed_edits(target)
    if allowed == 0 or abs(len(word) - len(target)) > allowed:
        return False
    costs = REAL if real and not _in_ending(word, target) else TYPO
    return _edit_distance(word, target, allowed, costs) <= allowed


ENDING = 2  # letters at the end of a word where a real word may differ from another by a consonant


def _in_ending(word: str, target: str) -> bool:
    """Whether the two differ only in the last ENDING letters of the shorter: "taken" ~ "takes"."""
    shorter = min(len(word), len(target))
    return len(commonprefix([word, target])) >= shorter - ENDING


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A crude English stem: enough that tense and plural don't hide a phrase."""
    for ending in ("ing", "ed", "es", "s"):
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            word = word[: -len(ending)]
            if word[-1] == word[-2] and word[-1] not in "ls":
                word = word[:-1]
            return word
    return word


VOWELS = frozenset("aeiou")  # not "y": "dying" is no "doing"


@dataclass(frozen=True)
class EditCosts:
    """What an edit costs when a consonant is in it (an edit of vowels alone always costs 1)."""

    substitution: int = 1
    indel: int = 1  # a letter added or dropped
    swap: int = 1


TYPO = EditCosts()
# Two slips in one word (`_two_slips`): a consonant for another is no slip ("sudafed" is no "sedated").
SLIPS = EditCosts(substitution=2)
# A real word read as another (`_close`): only their vowels may differ ("drank" ~ "drink"), not a
# consonant ("confusion" is no "convulsion", "down" no "drowned", "talking" no "tracking").
REAL = EditCosts(substitution=2, indel=2, swap=2)


def _edit_distance(a: str, b: str, limit: int, costs: EditCosts = TYPO) -> int:
    """Damerau-Levenshtein (adjacent swaps count once), giving up once past `limit`, with `costs`
    for edits that touch a consonant."""
    previous2: List[int] = []
    previous = _prefix_costs(b, costs)
    for i, ca in enumerate(a, 1):
        current = [previous[0] + _cost(ca, ca, costs.indel)] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            substitute = 0 if ca == cb else _cost(ca, cb, costs.substitution)
            current[j] = min(previous[j] + _cost(ca, ca, costs.indel), current[j - 1] + _cost(cb, cb, costs.indel),
                             previous[j - 1] + substitute)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + _cost(ca, cb, costs.swap))
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def _cost(a: str, b: str, consonant_cost: int) -> int:
    """An edit of letters `a` and `b` (the same letter for one added or dropped)."""
    return 1 if a in VOWELS and b in VOWELS else consonant_cost


def _prefix_costs(word: str, costs: EditCosts) -> List[int]:
    """The cost of adding each prefix of `word` to nothing, letter by letter."""
    found = [0]
    for letter in word:
        found.append(found[-1] + _cost(letter, letter, costs.indel))
    return found


def _deletions(word: str, depth: int) -> Set[str]:
    """`word` with up to `depth` letters taken out. Two words within d edits (swaps included)
    share a form with at most d letters taken out of each, so these forms index typos."""
    forms = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1:] for w in frontier for i in range(len(w))}
        forms |= frontier
    return forms


# Letters a word needs before a dropped one is restored: in a word of three, what is left is two
# letters, and the two-letter strings that are not words are few ("ot", "hs", "fi"); from a word of
# two, one letter is left, which could be anything.
DROPPED_FROM = 3


def _dropped(target: str) -> Set[str]:
    """The forms `_letter_dropped` may read back as `target`: from a word of 3 letters only if it is
    a word, not an abbreviation typed as one ("cp" is no "cpr", "mm" no "mmc")."""
    if len(target) < DROPPED_FROM or (len(target) < SLIPS_FROM and not is_word(target)):
        return set()
    return _deletions(target, 1)


class Vocabulary:
    """Every word the phrase list uses, indexed by its typo forms as typed and as stemmed.

    Comparing each message word with each of the list's ~1,000 words took most of a reply's time;
    the index turns that into a few dozen dictionary lookups per word, then `words_match` confirms
    each candidate, so what matches is exactly what `words_match` says.
    """

    def __init__(self, targets: Iterable[str]) -> None:
        self._as_typed: Dict[str, Set[str]] = defaultdict(set)
        self._as_stemmed: Dict[str, Set[str]] = defaultdict(set)
        for target in set(targets):
            for form in _deletions(target, _indexed_edits(target)) | slips(target) | _dropped(target):
                self._as_typed[form].add(target)
            stemmed = stem(target)
            for form in _deletions(stemmed, _allowed_edits(stemmed)) | slips(stemmed):
                self._as_stemmed[form].add(target)

    @lru_cache(maxsize=16384)
    def matches(self, word: str) -> FrozenSet[str]:
        """The list's words that `word` matches."""
        candidates = set().union(
            *(self._as_typed.get(f, ()) for f in _deletions(word, MAX_EDITS)),
            *(self._as_stemmed.get(f, ()) for f in _deletions(stem(word), MAX_EDITS)),
        )
        return frozenset(t for t in candidates if words_match(word, t))

    def positions(self, words: Sequence[str]) -> Dict[str, List[int]]:
        """Where in the message each of the list's words occurs, in order."""
        found: Dict[str, List[int]] = defaultdict(list)
        for index, word in enumerate(words):
            for target in self.matches(word):
                found[target].append(index)
        return found


class EntryIndex:
    """Which of the list's entries a message could match, from the list words it contains.

    Trying all ~700 entries on every message took most of the phrase layer's time, yet
    `find_span` finds a phrase only where each of its words occurs in `positions` (typos and
    endings already forgiven there by `Vocabulary`), and an entry needs a phrase from each of its
    groups. So an entry without that cannot match and is skipped; the rest are tried as before,
    in list order, so what matches is exactly what trying every entry would give.
    """

    def __init__(self, entries: Sequence[Entry]) -> None:
        self._entries = tuple(entries)
        self._needs = tuple(tuple(tuple(frozenset(p) for p in g) for g in e.groups) for e in entries)
        self._by_word: Dict[str, Set[int]] = defaultdict(set)
        uses = Counter(w for e in entries for g in e.groups for p in g for w in set(p))
        for index, entry in enumerate(entries):
            for phrase in entry.groups[0]:
                self._by_word[_rarest(phrase, uses)].add(index)

    def candidates(self, present: AbstractSet[str]) -> List[Entry]:
        """The entries, in list order, with a phrase in every group whose words are all `present`."""
        filed = set().union(*(self._by_word.get(w, ()) for w in present))
        return [self._entries[i] for i in sorted(filed)
                if all(any(words <= present for words in group) for group in self._needs[i])]


def _rarest(phrase: Phrase, uses: Mapping[str, int]) -> str:
    """The phrase's word used by fewest phrases in the list: an entry is filed under a word the
    phrase cannot match without, and a rare one keeps a message's "i" or "baby" from bringing
    along half the list. Ties go to the alphabetically first word, so the index is the same on
    every load."""
    return min(phrase, key=lambda w: (uses[w], w))


@dataclass(frozen=True)
class ListIndex:
    """A loaded list's word index and entry index, built together at load."""

    vocabulary: Vocabulary
    entries: EntryIndex


_INDEXES: Dict[int, Tuple[PhraseList, ListIndex]] = {}


def index_of(phrases: PhraseList) -> ListIndex:
    """The list's indexes, built once per loaded list (keyed by identity: hashing the whole frozen
    list on every message would cost more than the matching)."""
    cached = _INDEXES.get(id(phrases))
    if cached is None or cached[0] is not phrases:
        words = (w for e in phrases.entries for g in e.groups + (e.unless,) for p in g for w in p)
        index = ListIndex(Vocabulary(words), EntryIndex(phrases.entries))
        real_words()  # loaded now too, so a parent's first message does not wait for it
        cached = _INDEXES[id(phrases)] = (phrases, index)
    return cached[1]


def find_phrase(positions: Mapping[str, Sequence[int]], phrase: Phrase) -> Optional[int]:
    """Start index of the first in-order, gap-tolerant occurrence of `phrase`, or None.
    `positions` says where each phrase word matches (see `Vocabulary.positions`)."""
    span = find_span(positions, phrase)
    return span[0] if span else None


def find_span(positions: Mapping[str, Sequence[int]], phrase: Phrase) -> Optional[Tuple[int, int]]:
    """(first, last) word index of the first occurrence of `phrase`, or None."""
    return next(_spans(positions, phrase), None)


def _spans(positions: Mapping[str, Sequence[int]], phrase: Phrase) -> Iterator[Tuple[int, int]]:
    """(first, last) word index of each occurrence of `phrase`, in order."""
    for start in positions.get(phrase[0], ()):
        position = start
        for target in phrase[1:]:
            following = (p for p in positions.get(target, ()) if position < p <= position + 1 + MAX_GAP)
            position = next(following, -1)
            if position < 0:
                break
        else:
            yield start, position


def _negated_inside(words: Sequence[str], phrase: Phrase, span: Tuple[int, int]) -> bool:
    """A negation in a gap of the match: "he never hits me" is not "he hits me"."""
    return any(w in NEGATIONS and w not in phrase for w in words[span[0] + 1:span[1]])


def opens_as_question(words: Sequence[str]) -> bool:
    return len(words) > 1 and words[0] in QUESTION_OPENERS and words[1] not in NEGATIONS


def _cue_before(words: Sequence[str], index: int, cues: Iterable[Tuple[str, ...]]) -> bool:
    """Whether any cue occurs in the same sentence before `index` (sentences are not kept, so the
    whole text before it counts; parents rarely punctuate anyway)."""
    return any(True for _ in _cues_in(words[:index], cues))


def _cues_in(words: Sequence[str], cues: Iterable[Tuple[str, ...]]) -> Iterator[Tuple[int, Tuple[str, ...]]]:
    """(position, cue) for each occurrence of a cue in `words`."""
    words = tuple(words)
    present = set(words)  # most cues' first word is absent: skip them without a scan
    return ((i, cue) for cue in cues if cue[0] in present
            for i in range(len(words) - len(cue) + 1) if words[i:i + len(cue)] == cue)


def _negated(words: Sequence[str], start: int) -> bool:
    """A negation among the few words before `start`, reading through "or"/"and" so that
    "never drink or smoke" negates both; "neither of us" and the like count as one negation word
    (NEGATING_SUBJECTS): "neither of us drinks or smokes"."""
    before = [w for w in words[max(0, start - NEGATING_REACH):start] if w not in COORDINATORS]
    if any(w in NEGATIONS for w in before[-CONTEXT_WINDOW:]):
        return True
    return any(w in NEGATING_FIRST for w in before) and any(
        tuple(before[len(before) - k - len(cue):len(before) - k]) == cue
        for cue in NEGATING_SUBJECTS for k in range(CONTEXT_WINDOW))


def _match_entry(parts: Sequence[Sentence], words: Sequence[str],
                 positions: Mapping[str, Sequence[int]], entry: Entry,
                 urgent: bool, settled: Optional[int] = None) -> Optional[PhraseMatch]:
    if any(find_phrase(positions, p) is not None for p in entry.unless):
        return None  # the words are about something else ("screaming blue murder")
    starts: List[int] = []
    negated = False
    spans: List[Tuple[Phrase, Tuple[int, int]]] = []
    found: List[Phrase] = []
    spans_of: List[List[Tuple[Phrase, Tuple[int, int]]]] = []  # each group's phrases found, with their spans
    for group in entry.groups:
        spans = [(p, span) for p, span in ((p, find_span(positions, p)) for p in group) if span]
        if not spans:
            return None
        found.extend(p for p, _ in spans)
        spans_of.append(spans)
        starts.append(min(span[0] for _, span in spans))
        # a group is negated only if every alternative found is: in "no heating, no blankets and
        # the baby is in a freezing room", "freezing room" still stands after "no blankets"
        negated = negated or all(
            (_negated(words, span[0]) and not _phrase_is_negative(words, span[0]))
            or _negated_inside(words, p, span) for p, span in spans)
    first = min(starts)
    if entry.category is Category.DOMESTIC_ABUSE:
        negated = negated or _little_ones_doing(words, first)
    if entry.category is Category.EMERGENCY:
        negated = False
        unseen = _names_unseen_harm(found)
        hypothetical = not urgent and (_asked_what_if(parts, words, first, positions, entry)
                                       or _speakers_own_breath(words, spans_of)
                                       or discourse.asked_in_general(parts, first)
                                       or _slack_in_sleep(words, spans_of)
                                       or _foreseen(words, first) or _resolved(words, first, unseen)
                                       or discourse.sign_asked_about(words, first, unseen)
                                       or _prevented(words, starts)
                                       or any(discourse.diagnosis_asked(words, s) for s in starts)
                                       or discourse.told_from_media(words, first)
                                       or _shrugged_off(words, [span for _, span in spans]))
    else:
        hypothetical = not urgent and _hypothetical_here(parts, words, first, entry.category)
    if settled is not None and entry.category is not Category.EMERGENCY:
        # the only urgency is a "now" telling a settled present after the parent's past: a match
        # told wholly before it is that past ("had a miscarriage 5 years ago and now have two
        # healthy boys"); one told after it is read as if there were no urgency
        hypothetical = _told_before(positions, entry, settled) or \
            (first > settled and _hypothetical_here(parts, words, first, entry.category))
    return PhraseMatch(entry.category, entry.label, first, negated, hypothetical)


def _told_before(positions: Mapping[str, Sequence[int]], entry: Entry, index: int) -> bool:
    """Whether every mention of the entry's words ends before `index`; call only for an entry that matched."""
    return all(span[1] < index for group in entry.groups for phrase in group
               for span in _spans(positions, phrase))


def _last_told(positions: Mapping[str, Sequence[int]], entry: Entry) -> Tuple[int, int]:
    """The span of the last mention of the entry's last group, which names the sign in most
    entries ("... + she is drowsy / gone sleepy"); call only for an entry that matched."""
    return max(span for phrase in entry.groups[-1] for span in _spans(positions, phrase))


def _asked_what_if(parts: Sequence[Sentence], words: Sequence[str], first: int,
                   positions: Mapping[str, Sequence[int]], entry: Entry) -> bool:
    """A what-if cue before the match at `first` ("what happens if", "what should i do if") or an
    asking "if" in its sentence (`discourse.asked_if`), unless the sign (see `_last_told`) is told
    after it as happening, in a clause of its own with no such cue (`discourse.telling_clause`):
    the parent asks because it is happening."""
    if not (_cue_before(words, first, EMERGENCY_HYPOTHETICAL_CUES) or discourse.asked_if(parts, first)):
        return False
    sign = _last_told(positions, entry)
    told = discourse.telling_clause(parts, sign)
    return told is None or _cue_before(words[told:], sign[0] - told, EMERGENCY_HYPOTHETICAL_CUES)


def _hypothetical_here(parts: Sequence[Sentence], words: Sequence[str], first: int,
                       category: Category) -> bool:
    """Another's story or the parent's past anywhere before the match; a question only in the
    match's own sentence ("is it too late to see a midwife? i have not had any appointments")."""
    sentence = discourse.sentence_at(parts, first)
    own = sentence.words[:first - sentence.start]
    return (_cue_before(words, first, STORY_CUES + PAST_CUES)
            or _cue_before(own, len(own), QUESTION_CUES)
            or _asks_if(sentence.words, len(own)) or _asks_about(sentence.words, category))


# "bumped his head, did not even cry, carried on playing": a cry the baby did not even need, told as
# toughness. Only crying: "not even breathing" is alarm.
CRYING = frozenset({"cry", "cried", "crying", "cries"})


def _shrugged_off(words: Sequence[str], signs: Sequence[Tuple[int, int]]) -> bool:
    """The sign group (an entry's last) found only as "not even" crying, with a well sign after it
    not negated (WELL_SIGNS: "carried on playing", "laughing"); any other sign found keeps the match."""
    if not signs or not all(words[first] == "not" and "even" in words[first + 1:last] and words[last] in CRYING
                            for first, last in signs):
        return False
    after = max(last for _, last in signs) + 1
    return any(w in WELL_SIGNS and not _negated(words, i) for i, w in enumerate(words) if i >= after)


# A breathing or choking sign whose subject is the speaker, not the baby: "it's me who's not breathing
# after carrying the pram up the stairs", "i literally stopped breathing when i saw the bill", "i was
# choking on my tea" (development set 53). The subject is "i", or "me" in "it is me who ...", with
# only these between it and the sign; "hes under me not breathing" is the baby's.
BREATH_SIGN_STEMS = ("breath", "chok")
BETWEEN_SPEAKER_AND_SIGN = frozenset({"am", "was", "is", "who", "whos", "that", "thats", "literally", "actually",
                                      "just", "basically", "honestly", "nearly", "almost", "practically",
                                      "also", "really", "genuinely", "totally", "completely", "can", "could",
                                      "have", "had", "been", "kind", "of", "sort"})
CLEFT_BEFORE_ME = frozenset({"is", "its"})
# Someone else named inside the sign's words: "i can not feel her breathing" is the baby's breath.
OTHERS_IN_SIGN = frozenset({"he", "she", "him", "her", "his", "hes", "shes", "baby", "babys", "son", "daughter",
                            "lo", "they", "them", "their", "it"})


def _speakers_own_breath(words: Sequence[str], groups: Sequence[Sequence[Tuple[Phrase, Tuple[int, int]]]]) -> bool:
    """Every group of the match found only as a breathing or choking sign told of the speaker (see
    BREATH_SIGN_STEMS): the speaker's own breath is no baby's emergency. Any group found otherwise,
    or of another sign, keeps the match."""
    return bool(groups) and all(
        all(any(w.startswith(BREATH_SIGN_STEMS) for w in phrase) and _speaker_before(words, span[0])
            and not OTHERS_IN_SIGN & set(words[span[0]:span[1] + 1]) for phrase, span in spans)
        for spans in groups)


def _speaker_before(words: Sequence[str], start: int) -> bool:
    i = start - 1
    while i >= 0 and words[i] in BETWEEN_SPEAKER_AND_SIGN:
        i -= 1
    if i < 0:
        return False
    return words[i] == "i" or (words[i] == "me" and i > 0 and words[i - 1] in CLEFT_BEFORE_ME)


# Floppiness told as how the baby is whenever asleep: "she is floppy as anything when she is asleep,
# like a little ragdoll" (development set 53). A sleeping baby's muscles go slack; that is no sign.
# Not when anything else is told: a negation ("and will not wake"), a colour, breathing, or a word
# that tells it came on or goes on (ACUTE).
SLACK_SIGNS = frozenset({"floppy", "limp", "flop", "ragdoll"})
ASLEEP = frozenset({"asleep", "sleeping", "sleeps", "napping", "dozing", "snoozing"})
# Told as one event ("she went floppy while asleep", "was floppy when i found her asleep"), it is no habit.
TOLD_AS_AN_EVENT = frozenset({"went", "was", "were", "became", "turned", "got", "found", "seemed", "felt"})
SLACK_TO_HABIT = 4  # words from the sign to its "when"
HABIT_TO_SLEEP = 3  # words from "when" to "asleep"
UNWELL_WITH_SLACK = frozenset({"blue", "grey", "gray", "pale", "white", "mottled", "purple", "dusky", "cold",
                               "breathing", "breathe", "breath", "breaths", "wake", "waking", "fever",
                               "temperature", "hot", "rash", "fit", "fitting", "jerking", "twitching"})


def _slack_in_sleep(words: Sequence[str], groups: Sequence[Sequence[Tuple[Phrase, Tuple[int, int]]]]) -> bool:
    """The match found only as floppiness (SLACK_SIGNS), each told with a "when"/"while" clause of
    sleep just after it, and nothing else told (see UNWELL_WITH_SLACK, ACUTE, NEGATIONS,
    TOLD_AS_AN_EVENT)."""
    present = set(words)
    if present & (UNWELL_WITH_SLACK | ACUTE | NEGATIONS | TOLD_AS_AN_EVENT) or not groups:
        return False
    return all(all(set(phrase) <= SLACK_SIGNS and _sleep_clause_after(words, span[1]) for phrase, span in spans)
               for spans in groups)


def _sleep_clause_after(words: Sequence[str], end: int) -> bool:
    for i in range(end + 1, min(len(words), end + 1 + SLACK_TO_HABIT)):
        if words[i] in discourse.HABIT_CLAUSES:
            return bool(ASLEEP & set(words[i + 1:i + 1 + HABIT_TO_SLEEP]))
    return False


# A baby or toddler as who hits, kicks or bites: "my toddler keeps hitting me when he's angry", "the
# baby punched me in the eye" (probes after development set 53). Not a son or daughter, who may be
# grown: a teenager's violence to a parent is abuse. "a 2 year old", "my 18 month old" count too.
LITTLE_ONES = frozenset({"toddler", "toddlers", "baby", "babies", "newborn", "lo", "infant"})
BEFORE_THE_ACT = frozenset({"keeps", "keep", "always", "is", "was", "has", "have", "been", "just", "sometimes",
                            "often", "constantly", "still", "literally", "accidentally", "also"})
LITTLE_AGES = frozenset({"old", "yr", "yrs", "yo"})
DETERMINERS = frozenset({"the", "my", "our", "a", "his", "her", "their", "your"})
PREPOSITIONS = frozenset({"with", "to", "for", "at", "on", "in", "from", "beside", "near", "by", "holding",
                          "carrying", "of", "about", "and", "without", "round", "around"})


def _little_ones_doing(words: Sequence[str], start: int) -> bool:
    """Whether the subject just before an abuse match (auxiliaries and adverbs skipped, BEFORE_THE_ACT)
    is a baby or toddler (LITTLE_ONES, or "2 year old", "18 month old"), not a carer's ("baby dad")."""
    i = start - 1
    while i >= 0 and words[i] in BEFORE_THE_ACT:
        i -= 1
    if i < 0:
        return False
    if words[i] in LITTLE_ONES:
        j = i - 1
        while j >= 0 and words[j] in DETERMINERS:
            j -= 1
        return j < 0 or words[j] not in PREPOSITIONS  # "in the car with the baby as a punishment"
    if words[i] in LITTLE_AGES and i >= 2 and words[i - 1] in ("year", "month", "years", "months") \
            and words[i - 2].isdigit() and int(words[i - 2]) <= (4 if words[i - 1].startswith("year") else 48):
        return True
    return False


def _foreseen(words: Sequence[str], start: int) -> bool:
    """A modal just before the match: "scared he will stop breathing", "she might choke"."""
    return start > 0 and words[start - 1] in MODALS


def _prevented(words: Sequence[str], starts: Sequence[int]) -> bool:
    """A purpose told as prevention just before one of the match's groups: "what temperature should
    a bath be so i do not scald her" (see PREVENTION_CUES)."""
    return any(0 <= start - (i + len(cue)) <= PREVENTION_REACH
               for start in starts for i, cue in _cues_in(words[:start], PREVENTION_CUES))


def _names_unseen_harm(phrases: Iterable[Phrase]) -> bool:
    """Whether a match's phrases name a thing whose harm goes unseen (UNSEEN_HARMS)."""
    return any(UNSEEN_HARMS & set(phrase) for phrase in phrases)


def _resolved(words: Sequence[str], after: int, harm_unseen: bool = False) -> bool:
    """The message says, after the match, that it is over: "went blue but pinked up straight away".
    With `harm_unseen` (see UNSEEN_HARMS), only a time long past or a professional's check or word
    says so, never the child told as well (TOLD_WELL): "swallowed a battery but he is fine"."""
    rest = words[after:]
    over = DEALT_WITH if harm_unseen else RESOLVED
    return any(not _before_the_sign(rest, i, cue) for i, cue in _cues_in(rest, over)) \
        or _reassured_after_the_fact(words, after) or _reassured_and_well(words, after) \
        or (not harm_unseen and (_cleared_and_well(rest) or _colour_back(rest)))


def _colour_back(rest: Sequence[str]) -> bool:
    """A COLOUR_BACK cue with no colour of a sign and nothing acute told after it."""
    return any(not (SIGN_COLOURS | ACUTE) & set(rest[i + len(cue):]) for i, cue in _cues_in(rest, COLOUR_BACK))


# What was choked on told as out, then the child as well: "choked on a bit of apple, coughed it up and
# was fine", "spat it out, all ok" (probes after development set 53). The well word must follow within
# CLEARED_REACH words, not negated, with nothing acute (ACUTE: "still", "again", "now", ...) from the
# sign to it: "coughed it up but she is still gasping" stays an emergency.
CLEARED = (("coughed", "it", "up"), ("coughed", "it", "out"), ("spat", "it", "out"), ("brought", "it", "up"),
           ("brought", "it", "back", "up"), ("got", "it", "out"), ("coughed", "up", "the"))
CLEARED_REACH = 4


def _cleared_and_well(rest: Sequence[str]) -> bool:
    for i, cue in _cues_in(rest, CLEARED):
        end = i + len(cue)
        after = rest[end:end + CLEARED_REACH]
        well = next((end + j for j, w in enumerate(after) if w in CALM and not _negated(after, j)), None)
        if well is not None and not ACUTE & set(rest[:well + 1]):
            return True
    return False


def _reassured_and_well(words: Sequence[str], after: int) -> bool:
    """A professional's reassurance (REASSURED_WELL) after the sign, a well sign (WELL_SIGNS)
    between them not negated ("but feeding and smiling", not "not feeding"), and nothing acute
    (ACUTE)."""
    cue = min((i for i, _ in _cues_in(words[after:], REASSURED_WELL)), default=None)
    if cue is None:
        return False
    between = words[after:after + cue]
    well = any(w in WELL_SIGNS and not _negated(between, i) for i, w in enumerate(between))
    return well and not ACUTE & set(words[:after + cue])


def _before_the_sign(words: Sequence[str], start: int, cue: Tuple[str, ...]) -> bool:
    """ "was fine" with an earlier time just after it: how the baby was before, see EARLIER_TIMES."""
    end = start + len(cue)
    return cue in BEFORE_THE_SIGN and bool(EARLIER_TIMES & set(words[end:end + 4]))


def _reassured_after_the_fact(words: Sequence[str], after: int) -> bool:
    """A REASSURED cue after `after`, with everything before it told as past: a past time marker
    and no present or perfect tense ("is", "has", "gone", "still", "again")."""
    for cue_start in range(after, len(words)):
        if any(tuple(words[cue_start:cue_start + len(cue)]) == cue for cue in REASSURED):
            told = words[:cue_start]
            return _cue_before(told, len(told), PAST_MARKERS) and not PRESENT_MARKERS & set(told)
    return False


def _asks_if(words: Sequence[str], before: int) -> bool:
    """An "if" before `before` in a message that asks something; see ASKING."""
    return "if" in words[:before] and any(w in ASKING for w in words)


def _asks_about(words: Sequence[str], category: Category) -> bool:
    """A question about a risk, except self-harm, where "is it normal to want to die" is a disclosure."""
    return category is not Category.SELF_HARM and opens_as_question(words)


def _phrase_is_negative(words: Sequence[str], start: int) -> bool:
    """A match that starts with a negation ("not told anyone") carries it; it is not negated."""
    return words[start] in NEGATIONS


@dataclass(frozen=True)
class Context:
    """What the whole message says about itself, for the model layer, which cannot read it."""

    denied: bool
    hypothetical: bool
    emergency_hypothetical: bool
    question: bool  # opens like a yes/no question; see `_asks_about`
    contradicted: FrozenSet[Category] = frozenset()  # see CARERS and GOOD_NEWS

    def silences(self, category: Category, model_sure: bool = False) -> bool:
        """Whether the model's non-emergency `category` should be ignored for this message. A
        denial or a contradiction always silences it; opening as a question or another person's
        story does not when the model is sure (`model_sure`): "my neighbour leaves her toddler and
        baby alone every night" opens as someone else's story and is a disclosure all the same."""
        if self.denied or category in self.contradicted:
            return True
        return not model_sure and (self.hypothetical or (self.question and category is not Category.SELF_HARM))


def is_urgent(words: Sequence[str], settled: bool = False) -> bool:
    """Whether anything in the message says it is happening now; with `settled`, a "now" that
    tells the speaker's settled present after her own past (`_settled_now`) does not."""
    return any((w in URGENCY and not _calm_now(words, i) and not _worried_now(words, i)
                and not (settled and _settled_now(words, i)))
               or (w == "help" and _is_plea(words, i))
               for i, w in enumerate(words))


# "had a miscarriage 5 years ago and now have two healthy boys", "used to self harm as a teen, im
# doing well now": a "now" that sets the speaker's present against her own past (PAST_CUES before
# it) tells that the past is over. Good states told just after that "now" (a few words on: "now i
# am 14 weeks", "now pregnant again") or just before it ("doing well now", "scars are faded now").
SETTLED_AFTER = frozenset({"pregnant", "expecting", "healthy", "happy", "well", "fine", "good", "better",
                           "weeks", "months"})
SETTLED_BEFORE = frozenset({"well", "faded", "healed", "place", "happy", "better", "fine", "good",
                            "recovered", "stable", "settled"})
SETTLED_REACH = 3
SPEAKER = frozenset({"i", "am", "we", "are"})  # "now i am 14 weeks": the speaker's words are skipped


def _told_as_past(words: Sequence[str], index: int) -> bool:
    """A past cue (PAST_CUES) or a past year ("in 2019"; probes after development set 53) before `index`."""
    return _cue_before(words, index, PAST_CUES) or any(_past_year(w) for w in words[:index])


def _past_year(word: str) -> bool:
    return len(word) == 4 and word.isdigit() and EARLIEST_YEAR <= int(word) < date.today().year


EARLIEST_YEAR = 1950


def _settled_now(words: Sequence[str], index: int) -> bool:
    """A "now" after the speaker's past that tells a settled present (see SETTLED_AFTER), not
    negated ("not in a good place now"). Read only for the categories below an emergency, whose
    past a parent tells a midwife: an emergency is never silenced by it."""
    if words[index] != "now" or not _told_as_past(words, index):
        return False
    after = [w for w in words[index + 1:index + 3 + SETTLED_REACH] if w not in SPEAKER][:SETTLED_REACH]
    before = words[index - 1] if index else ""
    return any(w in SETTLED_AFTER and not _negated(after, j) for j, w in enumerate(after)) \
        or (before in SETTLED_BEFORE and not _negated(words, index - 1))


# "and now im paranoid", "now i can not stop checking on her": the speaker's own worry since, not
# something happening now.
WORRIED = frozenset({"paranoid", "worried", "worrying", "worry", "anxious", "nervous", "obsessed", "obsessing",
                     "scared", "terrified", "petrified", "frightened", "wondering", "checking"})
# What may stand between that "now" and the worry: "now we are really scared", "now i can not stop
# checking", "now i keep checking".
BEFORE_THE_WORRY = frozenset({"i", "am", "we", "are", "really", "so", "can", "not", "stop", "keep", "constantly"})


def _worried_now(words: Sequence[str], index: int) -> bool:
    """ "now i am paranoid", "now i worry": a "now" that tells the speaker's worry since a story,
    not that anything is happening; the sign's own words decide then."""
    after = [w for w in words[index + 1:index + 6] if w not in BEFORE_THE_WORRY]
    return words[index] == "now" and words[index + 1:index + 2] in (["i"], ["we"]) \
        and bool(after) and after[0] in WORRIED


# "he is now 4": an age told after "now"; not a count of minutes or hours ("is now 5 minutes")
SPANS_OF_NOW = frozenset({"seconds", "secs", "minutes", "mins", "min", "hours", "hrs", "hour"})


def _calm_now(words: Sequence[str], index: int) -> bool:
    """ "fine now", "settled now", "home now", "she is 2 now", "6 months old now", "he is now 4": a
    "now" that says it is over or gives an age, not that something is happening."""
    if words[index] != "now" or index == 0:
        return False
    before = words[index - 1]
    after = words[index + 1:index + 3]
    aged = before == "is" and bool(after) and after[0].isdigit() and not SPANS_OF_NOW & set(after[1:])
    return before in CALM or before in AGES or before.isdigit() or aged


def _is_plea(words: Sequence[str], index: int) -> bool:
    before = words[index - 1] if index else ""
    after = words[index + 1] if index + 1 < len(words) else ""
    return before not in NOT_A_PLEA_BEFORE and after not in NOT_A_PLEA_AFTER


def _denial_at(words: Sequence[str], index: int, negation: Tuple[str, ...]) -> bool:
    """`negation` at `index` denies an act: "i never drink", "we do not co sleep", "never left him"."""
    if tuple(words[index:index + len(negation)]) != negation:
        return False
    if index > 0:
        if words[index - 1] not in DENIAL_SUBJECTS:
            return False
        if index > 1 and words[index - 2] in CONDITIONALS:  # "if i do not drink i get the shakes"
            return False
    following = [w for w in words[index + len(negation):] if w not in FILLERS]
    return bool(following) and _root(following[0]) in _DENIED_ROOTS


def _root(word: str) -> str:
    """`stem` without a final e, so that leave, leaving and leaves compare equal."""
    return stem(word).rstrip("e") or word


_DENIED_ROOTS = frozenset(_root(w) for w in DENIED_ACTS)


def is_denial(words: Sequence[str]) -> bool:
    return any(_denial_at(words, i, n) for i in range(len(words)) for n in DENIALS)


def _opens_with_cue(words: Sequence[str], cues: Iterable[Tuple[str, ...]]) -> bool:
    opening = set(words[:OPENING])  # a cue can start in the opening only if its first word is there
    return any(tuple(words[i:i + len(cue)]) == cue for cue in cues if cue[0] in opening
               for i in range(OPENING))


def _left_with_carer(words: Sequence[str]) -> bool:
    """"with her dad", "with my mum", "with the childminder": the baby is with a grown-up."""
    return any(w == "with" and any(x in CARERS for x in words[i + 1:i + 3]) for i, w in enumerate(words))


def contradicted(words: Sequence[str]) -> FrozenSet[Category]:
    found = set()
    if _left_with_carer(words) or any(w in BABYSITTING for w in words):
        found.add(Category.CHILD_NEGLECT)
    if _cue_before(words, len(words), GOOD_NEWS) or _only_others_died(words):
        found.add(Category.BABY_LOSS)
    if _in_own_space(words) or _cue_before(words, len(words), STAYED_AWAKE) or _night_handed_over(words):
        found.add(Category.UNSAFE_SLEEP)
    return frozenset(found)


def _only_others_died(words: Sequence[str]) -> bool:
    """Each death the message tells is of a pet or an older relative (see NOT_A_BABY): the word
    just before "died"/"passed", or just after "lost" (or after its "my", "our", "the")."""
    deaths = [i for i, w in enumerate(words) if w in DIED or w == "lost"]
    return bool(deaths) and all(_who_died(words, i) in NOT_A_BABY for i in deaths)


def _who_died(words: Sequence[str], index: int) -> str:
    if words[index] == "lost":
        after = [w for w in words[index + 1:index + 3] if w not in {"my", "our", "the"}]
        return after[0] if after else ""
    return words[index - 1] if index else ""


def _night_handed_over(words: Sequence[str]) -> bool:
    """A grown-up other than the speaker told as sober or doing the night feeds (see NIGHT_CARERS),
    not negated, in a message that names no shared surface."""
    if SHARED_SURFACES & set(words):
        return False
    for i, word in enumerate(words):
        if word not in NIGHT_CARERS and not (word.endswith("s") and word[:-1] in NIGHT_CARERS):
            continue
        after = words[i + 1:i + 1 + NIGHT_CARE_REACH]
        for j, w in enumerate(after):
            if _negated(after, j):
                continue
            if w == "sober" or (w == "night" and after[j + 1:j + 2] and after[j + 1] in NIGHT_FEEDS):
                return True
    return False


def _in_own_space(words: Sequence[str]) -> bool:
    """"was in the moses basket", "sleeps in her own cot": see OWN_SPACE."""
    return any(w in BEING_IN and words[i + 1:i + 2] == ["in"]
               and OWN_SPACE & set(words[i + 2:i + 5]) for i, w in enumerate(words))


def read_context(text: str, words: Sequence[str], urgent: bool, harm_unseen: bool = False) -> Context:
    """A question or another's story that opens the message makes it hypothetical for the model
    only if no sentence of it states something about the parent (see discourse.states_about_self);
    the parent's own past ("used to", "years ago") always does. A "what if" makes a model emergency
    hypothetical unless a later sentence tells about the parent (discourse.tells_about_self_after_asking).
    With `harm_unseen` (the message names a battery or magnet, see UNSEEN_HARMS), the child told as
    well does not end the model's emergency."""
    end = len(words)
    asks_or_retells = _opens_with_cue(words, QUESTION_CUES + STORY_CUES) or _asks_if(words, OPENING)
    question = opens_as_question(words)
    # read only when it can matter: most messages neither open as a question nor retell
    about_self = (asks_or_retells or question) and discourse.states_about_self(text)
    return Context(
        denied=is_denial(words),
        hypothetical=not urgent and (_opens_with_cue(words, PAST_CUES)
                                     or (asks_or_retells and not about_self)),
        emergency_hypothetical=not urgent and ((_cue_before(words, end, EMERGENCY_HYPOTHETICAL_CUES)
                                                and not discourse.tells_about_self_after_asking(text))
                                               or _resolved(words, 0, harm_unseen)
                                               or discourse.sign_asked_about(words, 0, harm_unseen)
                                               or discourse.diagnosis_asked(words)
                                               or discourse.told_from_media(words)
                                               or discourse.practice_tightenings(words)),
        question=not urgent and question and not about_self,
        contradicted=contradicted(words),
    )


def best_match(text: str, phrases: PhraseList) -> Tuple[Optional[PhraseMatch], Context]:
    """The asserted match that matters most (if any), and the message's context. A word that may
    be two run together is read apart only if that finds a match of a category that matters more
    (see `_run_together`): a split can raise a verdict, never lower one. A short message broken off
    on the verb after the baby ("she stopped"), only pleading for the baby ("pls help baby") or
    only pleading in haste ("hlp") is an emergency with no phrase (`_by_shape`)."""
    index = index_of(phrases)
    parts = discourse.sentences(text)
    match, words, urgent = _best_in(parts, index)
    for apart in _read_apart(parts, index.vocabulary):
        split = _best_in(apart, index)
        if split[0] and (match is None or _precedence(split[0]) < _precedence(match)):
            match, words, urgent = split
    if match is None or match.category is not Category.EMERGENCY:
        match = _by_shape(text, parts, words, urgent) or match
    harm_unseen = any(UNSEEN_HARMS & index.vocabulary.matches(w) for w in words)
    return match, read_context(text, words, urgent, harm_unseen)


def _by_shape(text: str, parts: Sequence[Sentence], words: Sequence[str], urgent: bool) -> Optional[PhraseMatch]:
    """An emergency told by the message's shape rather than by a phrase: broken off on the verb
    after the baby ("she stopped"), a plea for the baby and nothing else ("pls help baby"), or a
    plea typed in haste and nothing else ("hlp")."""
    if len(words) > discourse.BROKEN_OFF_WORDS:
        return None
    label = BROKEN_OFF if discourse.broken_off(parts, urgent) \
        else PLEA_FOR_BABY if discourse.plea_for_baby(parts) \
        else PLEA_IN_HASTE if discourse.plea_in_haste(text) else None
    return PhraseMatch(Category.EMERGENCY, label, 0, negated=False, hypothetical=False) if label else None


def _best_in(parts: Sequence[Sentence], index: ListIndex) -> Tuple[Optional[PhraseMatch], List[str], bool]:
    """The asserted match that matters most among these sentences, their words, and their urgency."""
    words = discourse.words_of(parts)
    urgent = is_urgent(words)  # once per message, not once per entry
    settled = _settled(words, urgent)
    positions = index.vocabulary.positions(words)
    candidates = index.entries.candidates(set(positions))
    matches = (_match_entry(parts, words, positions, e, urgent, settled) for e in candidates)
    asserted = [m for m in matches if m and m.asserted]
    return min(asserted, key=lambda m: (_precedence(m), m.start), default=None), words, urgent


def _settled(words: Sequence[str], urgent: bool) -> Optional[int]:
    """Where the first "now" telling the speaker's settled present after her past (`_settled_now`)
    stands, if the message's only urgency is such a "now"; read only when it can matter."""
    if not urgent or "now" not in words or is_urgent(words, settled=True):
        return None
    return next(i for i, w in enumerate(words) if _settled_now(words, i))


def _precedence(match: PhraseMatch) -> int:
    return PRECEDENCE.index(match.category)


def _read_apart(parts: Sequence[Sentence], vocabulary: Vocabulary) -> Iterator[List[Sentence]]:
    """The sentences again for each way of reading one of their words as two (`_run_together`),
    except a word that is one of the phrase list's, typos forgiven ("babygrow", "bedsharing")."""
    for s, sentence in enumerate(parts):
        for i, word in enumerate(sentence.words):
            for halves in () if vocabulary.matches(word) else _run_together(word):
                later = (p.moved(len(halves) - 1) for p in parts[s + 1:])
                yield [*parts[:s], sentence.with_word_read_as(i, halves), *later]


@lru_cache(maxsize=16384)
def _run_together(word: str) -> Tuple[Tuple[str, ...], ...]:
    """Each way of reading `word` as two words typed without the space between them ("hesblue",
    "notbreathing", "wontwake"), text-speak expanded. Only a word that is not a real word, and only
    into two that are: "bedroom", "bluetooth" and "lipstick" stay whole."""
    if not word.isalpha() or _typed_word(word):
        return ()
    cuts = ((word[:cut], word[cut:]) for cut in range(1, len(word)))
    return tuple(tuple(normalise(first) + normalise(second)) for first, second in cuts
                 if _typed_word(first) and _typed_word(second))


def _typed_word(word: str) -> bool:
    """A real word, as typed or with its "-ing" typed "-in": "slappin" is not "slap pin"."""
    return is_word(word) or (word.endswith("in") and is_word(word + "g"))
