"""How a message tells what it tells: its sentences and clauses, which of them ask and which state
something about the parent, and whether an emergency sign is told as happening now or asked about.

The phrase list and the classifier find risky words; these readings decide whether the words are a
disclosure. Tuning phrases on each fresh development set stopped carrying over to unseen messages,
and most of the errors that remained were of two kinds, whatever their words: a disclosure told
beside a question ("is it normal to be scared of my partner? he kicked me"), which a question cue
anywhere before it silenced, and a question about a past, habitual or resolved sign ("choked on his
milk then coughed and was fine, is that normal"), read as an emergency. So these readings use
structure (sentence ends, question forms, pronouns, time and frequency words), not topic words.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Iterator, List, Optional, Sequence, Tuple

from bot.risk.normalise import normalise

# A sentence ends at these; a clause also at a comma. Parents rarely punctuate, so a message
# without any is one sentence and the readings fall back to what they were before.
_SENTENCE_END = re.compile(r"([?!.;\n]+)")
_CLAUSE_END = re.compile(r",")
# Words a sentence opens with when it asks (yes/no or wh-); "when" and "if" open statements too.
ASKING_OPENERS = frozenset({"can", "could", "does", "do", "did", "is", "are", "should", "will", "would",
                            "was", "were", "am", "what", "how", "why", "where", "which", "who", "whats"})
OPENER_NEGATIONS = frozenset({"not", "never", "no"})
# Speaker as subject or object: "i have not told anyone", "he kicked me". "my" alone is not enough:
# "my friend's baby" is someone else's story.
FIRST_PERSON = frozenset({"i", "me", "we", "us"})
CLAUSE_JOINS = frozenset({"but", "because", "so", "and", "then", "though"})
# What an unpunctuated question asks about, just after its opener: "does that", "is it", "can i".
ASKED_ABOUT = frozenset({"that", "this", "it", "i", "you", "he", "she", "they", "we", "there"})

# A question that asks what a sign told before it was: "is that normal", "what causes that".
EVALUATIVE_QUESTIONS = (
    ("is", "that"), ("is", "this"), ("is", "it", "normal"), ("is", "it", "ok"), ("is", "it", "okay"),
    ("was", "that"), ("was", "it"), ("what", "causes"), ("what", "caused"), ("why", "does"),
    ("why", "do"), ("why", "did"), ("why", "would"), ("what", "does", "it", "mean"),
    ("what", "does", "that", "mean"), ("what", "are", "the", "signs"), ("should", "i", "worry"),
    ("should", "i", "be", "worried"), ("do", "i", "need", "to", "worry"), ("how", "common"),
    ("could", "it", "be"), ("what", "is", "that"), ("what", "would", "cause"),
    # (development set 53) whether it may come back, or to another child: "could it happen with the
    # new baby", "will it happen again", "does it run in families"
    ("could", "it", "happen"), ("can", "it", "happen"), ("will", "it", "happen"), ("could", "that", "happen"),
    ("could", "this", "happen"), ("is", "it", "likely"), ("does", "it", "run"), ("does", "that", "run"),
    # (probes after development set 53) "does that mean my baby will"
    ("does", "that", "mean"), ("does", "it", "mean"),
)
# The sign is told as not happening now: once, long before, habitually, over, or someone else's.
# Not "last night", "earlier" or "ago" alone: "stopped breathing last night and went blue, is that
# normal" may need a 999 as much as one happening now, and "10 minutes ago" is now.
# A well sign after it ("was fine after") is read separately (WELL_AFTER): it does not end a harm
# that goes unseen (see sign_asked_about).
NOT_NOW = (
    ("once",), ("other", "day"), ("before",),
    ("when", "he", "was"), ("when", "she", "was"), ("a", "few", "times"), ("twice",),
    ("sometimes",), ("often",), ("occasionally",), ("always",), ("usually",), ("every",),
    ("when", "sleeping"), ("while", "sleeping"), ("when", "asleep"), ("while", "asleep"),
    ("coughed", "it", "up"), ("my", "friend"), ("friends", "baby"), ("my", "mate"), ("mates", "baby"),
    ("as", "a", "newborn"), ("as", "a", "baby"), ("as", "a", "toddler"), ("as", "a", "child"), ("as", "a", "kid"),
)
WELL_AFTER = (("was", "fine"), ("was", "ok"), ("was", "okay"), ("was", "alright"), ("fine", "after"))
NOT_NOW_OR_WELL_AFTER = NOT_NOW + WELL_AFTER
# A baby seen on a screen, told before the sign: "the baby on that tv programme went blue" is a
# story like a friend's. Only a baby "on" or "in" one: "he went blue while i was watching tv" is not.
SCREENS = frozenset({"tv", "telly", "television", "programme", "program", "film", "movie", "documentary",
                     "show", "news", "youtube", "tiktok", "soap", "series", "video"})
ON_SCREEN = frozenset({"on", "in"})
SCREEN_DETERMINERS = frozenset({"the", "a", "that", "this", "some"})
SCREEN_BABIES = frozenset({"baby", "babies", "child", "toddler", "boy", "girl", "newborn"})

# A baby's emergency the speaker saw, watched or read about: "saw on tiktok about a baby who stopped
# breathing in a sling", "read a news story about a baby who choked", "watched a video about a baby
# choking". A media verb, then within a few words "about" or a medium, then a baby: the sign told
# after that baby is its own, not the speaker's, unless the rest tells anything as going on (HAPPENING,
# but not the speaker's own "i am", "i keep"; "now" is left to the urgency words) or names a baby of
# the speaker's (OWN_BABY): "i was watching a video about baby sleep and he choked" is her own.
MEDIA_VERBS = frozenset({"saw", "seen", "watched", "watching", "read", "reading"})
MEDIA = SCREENS | frozenset({"facebook", "instagram", "insta", "article", "story", "post", "reel",
                             "online", "internet", "mumsnet", "reddit", "forum", "clip", "paper", "newspaper"})
MEDIA_REACH = 5
# A medium told as what had or showed the baby: "the film last night had a baby that was not
# breathing", "a documentary about a baby who choked", "that programme where a baby went blue"
# (development set 53). Not "with": "the tv was on with the baby in the room" tells the speaker's own.
SHOWING = frozenset({"had", "has", "showed", "shows", "shown", "featured", "features", "about", "where"})
OWN_BABY = frozenset({"he", "she", "him", "her", "his", "hes", "shes", "my", "our", "son", "daughter", "lo"})
SPEAKERS_OWN = frozenset({"my", "our"})

# A named diagnosis asked about with another reading offered ("is that a seizure or just the
# reflex"), after a telling of something that sounds ordinary: the parent names the fear to have it
# ruled out. Only with "or" after the name, and only when the telling says nothing is going on now
# (see HAPPENING), "when"/"while" clauses left out: "when he is dropping off" tells a habit.
DIAGNOSIS_ASKED = (("is", "that", "a"), ("is", "this", "a"), ("is", "it", "a"), ("was", "that", "a"),
                   ("was", "it", "a"), ("could", "it", "be", "a"), ("could", "that", "be", "a"),
                   ("could", "this", "be", "a"))
HABIT_CLAUSES = frozenset({"when", "while", "whenever"})
# Words a named diagnosis can run to before its "or": "a seizure or", "a febrile fit or".
DIAGNOSIS_WORDS = 3

# Braxton Hicks, practice tightenings, named by a pregnant parent as what she has: the model reads
# pains that come and go as labour ("i think i'm having braxton hicks, they come and go and aren't
# regular": emergency 0.63). Not when any sign of labour under way is told too (blood, waters, the
# urge to push, a head, a birth, pains timed minutes apart or closer); urgency words ("now", "help")
# already keep a model emergency believed (see matcher.read_context).
PRACTICE_TIGHTENINGS = "braxton"
LABOUR_UNDER_WAY = frozenset({"blood", "bleeding", "bled", "waters", "push", "pushing", "pushed", "head",
                              "crowning", "born", "birth", "minutes", "mins", "min", "apart", "closer"})


# Between an asking "if" and the sign, these tell it as going on, not supposed (not "is" or
# "again": "what do i do if he is choking", "if it happens again" ask about what may come).
ONGOING = frozenset({"keeps", "keep", "still", "currently"})
# Any of these in the telling means it may be happening now, so the sign stays an emergency.
HAPPENING = frozenset({"is", "are", "am", "has", "have", "keeps", "keep", "still", "again", "gone",
                       "going", "just", "now", "right", "currently"})


# A panicked message can break off mid-sentence, on the verb after the baby, before the sign it
# was going to name: "she stopped", "i think he just stopped" (breathing), or beside a plea "help
# my son is". Only short messages that ask nothing (not "she stopped?").
BROKEN_OFF_WORDS = 6
BABY_SUBJECTS = frozenset({"he", "she", "baby", "son", "daughter", "boy", "girl", "lo"})
# a sign's verb that cannot end a telling of a baby; an auxiliary only beside a plea ("yes he is")
LEFT_HANGING = frozenset({"stopped"})
LEFT_HANGING_WITH_PLEA = frozenset({"is", "has", "keeps", "was"})
BETWEEN_BABY_AND_VERB = frozenset({"just", "is", "has", "suddenly"})
# All that may come before the baby: panic, a plea, a hedge. Not a story ("hiccups then she
# stopped"), relief ("finally she stopped") or an answer ("yes he is").
PANIC_OPENING = frozenset({"i", "think", "help", "please", "god", "omg", "my", "our", "the", "no", "quick"})


# A plea for the baby and nothing else ("pls help baby", "someone help my son"): a parent who
# can only type that much. A lone "HELP" is left out on purpose (README: the SMS carrier keyword,
# answered with 999 and 111 first), and so is any message with a word beyond panic, a plea, a
# need and the baby: "help baby sleep", "help with baby" and "can you help my baby" ask for advice.
PLEA_WORDS = frozenset({"help", "sos"})
PLEADED_FOR = frozenset({"baby", "son", "daughter", "boy", "girl", "newborn", "grandson", "granddaughter"})
AROUND_A_PLEA = PANIC_OPENING | frozenset({"someone", "somebody", "me", "needs", "need", "now", "urgent", "oh"})


# A plea and nothing else, typed in haste ("hlp", "plz hlp", "HELPPP", "heeelp me"): "help" with
# its vowel dropped or a letter held down. A lone "help", spelt out, is left as it is: over SMS and
# WhatsApp it is the carrier keyword, answered with 999 and 111 first, and in the chat it asks what
# the assistant can do; so is a slip in it ("hlep", "hellp"), which is no sign of haste. Someone who
# cannot stop to spell the word, or holds a key down, is not asking that.
_HELP_IN_HASTE = re.compile(r"h+l+p+|h+e*l+p+")
_HELD_DOWN = re.compile(r"(.)\1\1")
_TYPED_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Sentence:
    """A sentence's words, where they start in the whole message, whether it asks, whether it ends
    with a question mark, and where its clauses after the first begin (after a comma; counted from
    `start`)."""

    start: int
    words: Tuple[str, ...]
    asks: bool
    question_mark: bool = False
    clauses: Tuple[int, ...] = ()

    @property
    def end(self) -> int:
        return self.start + len(self.words)

    def moved(self, by: int) -> "Sentence":
        return replace(self, start=self.start + by)

    def with_word_read_as(self, index: int, halves: Tuple[str, ...]) -> "Sentence":
        """The sentence with its word at `index` (counted from `start`) read as `halves`."""
        words = self.words[:index] + halves + self.words[index + 1:]
        clauses = tuple(c + len(halves) - 1 if c > index else c for c in self.clauses)
        return replace(self, words=words, clauses=clauses)


def _asks(words: Sequence[str], ended_with_question_mark: bool) -> bool:
    if ended_with_question_mark:
        return True
    return len(words) > 1 and words[0] in ASKING_OPENERS and words[1] not in OPENER_NEGATIONS


def _sentence_texts(text: str) -> Iterator[Tuple[str, str]]:
    """Each sentence's raw text and the punctuation that ends it ("" for the last, unended one)."""
    pieces = _SENTENCE_END.split(text)
    for index in range(0, len(pieces), 2):
        yield pieces[index], pieces[index + 1] if index + 1 < len(pieces) else ""


def sentences(text: str) -> List[Sentence]:
    """The message's sentences, normalised; their words joined are the message's words."""
    found: List[Sentence] = []
    start = 0
    for piece, ending in _sentence_texts(text):
        words = tuple(normalise(piece))
        if words:
            question_mark = "?" in ending
            found.append(Sentence(start, words, _asks(words, question_mark), question_mark,
                                  _clause_starts(piece, words)))
            start += len(words)
    return found


def _clause_starts(piece: str, words: Tuple[str, ...]) -> Tuple[int, ...]:
    """Where the sentence's clauses after the first begin, after a comma; none if its clauses'
    words do not add up to the sentence's (a word read across the comma, as "ill" can be)."""
    clauses = [normalise(clause) for clause in _CLAUSE_END.split(piece)]
    if tuple(w for clause in clauses for w in clause) != words:
        return ()
    starts, at = [], 0
    for clause in clauses[:-1]:
        at += len(clause)
        starts.append(at)
    return tuple(sorted({a for a in starts if 0 < a < len(words)}))


def words_of(parts: Sequence[Sentence]) -> List[str]:
    return [w for s in parts for w in s.words]


def sentence_at(parts: Sequence[Sentence], index: int) -> Sentence:
    """The sentence holding word `index` (the last one if past the end)."""
    return next((s for s in parts if s.start <= index < s.end), parts[-1])


def _clauses(text: str) -> List[List[str]]:
    """Clauses of a sentence: split at commas, at joining words ("but", "because", "and"), and
    before an unpunctuated question ("my sister had one last year does that make it likely")."""
    clauses: List[List[str]] = []
    for piece in _CLAUSE_END.split(text):
        current: List[str] = []
        words = normalise(piece)
        for index, word in enumerate(words):
            following = words[index + 1] if index + 1 < len(words) else ""
            if current and (word in CLAUSE_JOINS or (word in ASKING_OPENERS and following in ASKED_ABOUT)):
                clauses.append(current)
                current = [] if word in CLAUSE_JOINS else [word]
            else:
                current.append(word)
        if current:
            clauses.append(current)
    return clauses


def _has_clause_about_self(piece: str) -> bool:
    """A clause of this sentence that does not ask and has the speaker in it ("he kicked me")."""
    return any(FIRST_PERSON & set(clause) and not _asks(clause, False) for clause in _clauses(piece))


def states_about_self(text: str) -> bool:
    """Whether some sentence that does not ask has a clause about the speaker: "he kicked me",
    "i have not had any appointments", "my mum says i am an alcoholic". A question or another
    person's story that opens the message then does not make the rest of it hypothetical."""
    return any("?" not in ending and _has_clause_about_self(piece) for piece, ending in _sentence_texts(text))


def tells_about_self_after_asking(text: str) -> bool:
    """Whether a sentence that asks is followed by one that does not and has a clause about the
    speaker: "what if someone gave too much calpol? i think ive given her three doses" asks, then
    tells."""
    asked = False
    for piece, ending in _sentence_texts(text):
        words = normalise(piece)
        if not words:
            continue
        if _asks(words, "?" in ending):
            asked = True
        elif asked and _has_clause_about_self(piece):
            return True
    return False


def _find(words: Sequence[str], cue: Tuple[str, ...], start: int = 0) -> int:
    for i in range(start, len(words) - len(cue) + 1):
        if tuple(words[i:i + len(cue)]) == cue:
            return i
    return -1


def _has(words: Sequence[str], cues: Sequence[Tuple[str, ...]]) -> bool:
    return any(_find(words, cue) >= 0 for cue in cues)


def sign_asked_about(words: Sequence[str], sign_start: int, harm_unseen: bool = False) -> bool:
    """An emergency sign told, then asked about, as not happening now: told as once, past,
    habitual, over or someone else's ("had a fit once, what causes that", "breathes fast
    sometimes, is that ok"), with nothing in the telling that says it may be going on now. With
    `harm_unseen` (a swallowed battery or magnet, see matcher.UNSEEN_HARMS) the child told as well
    after it ("was fine after, is that ok") is no sign that it is over: that harm goes on unseen."""
    present = set(words)  # only a question whose first word is in the message can be found
    asked = min((i for i in (_find(words, cue, sign_start + 1) for cue in EVALUATIVE_QUESTIONS
                             if cue[0] in present) if i >= 0), default=-1)
    if asked < 0:
        return False
    told = words[:asked]
    not_now = NOT_NOW if harm_unseen else NOT_NOW_OR_WELL_AFTER
    return (_has(told, not_now) or seen_on_screen(told)) and not HAPPENING & set(_without_ages(told))


# An age told as the child's present ("he is 3 now", "she is 18 months old now", "is now 2") says how
# long ago the sign was, not that anything is going on (development set 53).
AGE_UNITS = frozenset({"weeks", "week", "months", "month", "years", "year", "old", "yrs", "yo"})


def _without_ages(told: Sequence[str]) -> List[str]:
    """`told` less the "is" and "now" of each age told as the present (see AGE_UNITS)."""
    kept: List[str] = []
    i = 0
    while i < len(told):
        if told[i] == "is":
            rest = told[i + 1:i + 5]
            start = 1 if rest[:1] == ["now"] else 0
            if rest[start:start + 1] and rest[start].isdigit():
                j = start + 1
                while j < len(rest) and rest[j] in AGE_UNITS:
                    j += 1
                if start or rest[j:j + 1] == ["now"]:
                    kept.extend(rest[start:j])
                    i += 1 + j + (0 if start else 1)
                    continue
        kept.append(told[i])
        i += 1
    return kept


def seen_on_screen(words: Sequence[str]) -> bool:
    """A baby on or in a screen's story ("the baby on that tv programme", "a baby in a film"): the
    sign told after it is someone else's, as a friend's baby's is (see NOT_NOW)."""
    for i, word in enumerate(words):
        if word in SCREEN_BABIES and words[i + 1:i + 2] and words[i + 1] in ON_SCREEN:
            rest = [w for w in words[i + 2:i + 4] if w not in SCREEN_DETERMINERS]
            if rest and rest[0] in SCREENS:
                return True
    return False


def told_from_media(words: Sequence[str], sign_start: Optional[int] = None) -> bool:
    """Whether the message tells a baby's emergency seen, watched or read about (see MEDIA_VERBS),
    with nothing after that baby going on or about the speaker's own. With `sign_start`, only a
    sign told after that baby; without, any (for the model, which names no sign)."""
    for i, word in enumerate(words):
        window = words[i + 1:i + 1 + MEDIA_REACH]
        if word in MEDIA_VERBS:
            if "about" not in window and not MEDIA & set(window):
                continue
        elif word not in MEDIA or not SHOWING & set(window):
            continue
        baby = next((j for j in range(i + 1, min(len(words), i + 3 + MEDIA_REACH)) if words[j] in SCREEN_BABIES), None)
        if baby is None or (sign_start is not None and sign_start <= baby):
            continue
        if words[baby - 1] in SPEAKERS_OWN:  # "watched a film and my baby had a fit" is her own
            continue
        rest = words[baby + 1:]
        # the speaker's own present ("now i am worried", "i keep checking on mine") tells nothing going on
        going_on = {w for k, w in enumerate(rest) if w in HAPPENING and w != "now"
                    and not (k and rest[k - 1] in FIRST_PERSON)}
        if not going_on and not OWN_BABY & set(rest):
            return True
    return False


def diagnosis_asked(words: Sequence[str], sign_start: Optional[int] = None) -> bool:
    """Whether a diagnosis is named only to be asked about with another reading offered, after a
    telling of nothing going on now: "he startles and throws his arms out when he is dropping off,
    is that a seizure or just the reflex" (see DIAGNOSIS_ASKED). With `sign_start`, only a question
    whose diagnosis begins there; without, any (for the model, which names no sign)."""
    present = set(words)
    for cue in DIAGNOSIS_ASKED:
        if cue[0] not in present:
            continue
        at = _find(words, cue)
        while at >= 0:
            named = at + len(cue)
            if (sign_start is None or named == sign_start) and _offers_another(words, named) \
                    and _told_as_a_habit(words[:at]):
                return True
            at = _find(words, cue, at + 1)
    return False


def practice_tightenings(words: Sequence[str]) -> bool:
    """Whether the message names Braxton Hicks and tells no sign of labour under way: a model
    emergency read into practice tightenings is not believed (see PRACTICE_TIGHTENINGS)."""
    return any(w.startswith(PRACTICE_TIGHTENINGS) for w in words) and not LABOUR_UNDER_WAY & set(words)


def _offers_another(words: Sequence[str], named: int) -> bool:
    """ "or" within a few words after the name: "a seizure or just the reflex"."""
    return "or" in words[named + 1:named + 1 + DIAGNOSIS_WORDS]


def _told_as_a_habit(told: Sequence[str]) -> bool:
    """Nothing in the telling says it is going on now, once its "when"/"while" clause is left out."""
    cut = next((i for i, w in enumerate(told) if w in HABIT_CLAUSES), len(told))
    return bool(told) and not HAPPENING & set(told[:cut])


# A question about babies in general, the sign in its own sentence: "do babies stop breathing for a
# few seconds in their sleep", "why do newborns go blue round the mouth" (probes after development
# set 53). The sentence opens as a question (ASKING_OPENERS, "why do" too) with a general subject
# among its first words, and names no baby of anyone's (OWN_BABY, "baby", "the", "this").
GENERAL_SUBJECTS = frozenset({"babies", "newborns", "toddlers", "infants", "kids", "children"})
GENERAL_OPENING = 3
NAMED_BABY = OWN_BABY | frozenset({"baby", "this", "the", "mine", "ours"})


def asked_in_general(parts: Sequence[Sentence], sign_start: int) -> bool:
    """Whether the sign's sentence asks about babies in general (see GENERAL_SUBJECTS)."""
    sentence = sentence_at(parts, sign_start)
    if not sentence.asks:
        return False
    before = sentence.words[:sign_start - sentence.start]
    return bool(GENERAL_SUBJECTS & set(before[:GENERAL_OPENING])) and not NAMED_BABY & set(sentence.words)


def asked_if(parts: Sequence[Sentence], sign_start: int) -> bool:
    """A sign inside a sentence that asks and puts it after "if": "what does it mean if a baby
    goes blue round the lips?". The sentence's own words, not the message's, decide; a sign told
    as going on ("is it bad if he keeps jerking and goes floppy") is no "if" (see ONGOING)."""
    sentence = sentence_at(parts, sign_start)
    before = sentence.words[:sign_start - sentence.start]
    if not sentence.asks or "if" not in before:
        return False
    after_if = before[len(before) - before[::-1].index("if"):]
    return not ONGOING & set(after_if)


def telling_clause(parts: Sequence[Sentence], sign: Tuple[int, int]) -> Optional[int]:
    """Where the clause begins that tells the sign (its first and last word) as happening to the
    baby, if it is a later clause than its sentence's first, no question mark ends the sentence,
    and the clause does not ask and has the baby (BABY_SUBJECTS) and a word of the present
    (HAPPENING) up to the sign's end: in "what happens if a baby swallows methadone, he got into my
    bag and hes gone all drowsy" the question ends at the comma and the rest tells (development
    set 45). Not a later clause told as past or about someone else ("my brother has seizures")."""
    sentence = sentence_at(parts, sign[0])
    begins = [sentence.start + c for c in sentence.clauses if sentence.start + c <= sign[0]]
    if sentence.question_mark or not begins:
        return None
    told = sentence.words[begins[-1] - sentence.start:sign[1] - sentence.start + 1]
    tells = HAPPENING & set(told) and BABY_SUBJECTS & set(told) and not _asks(told, False)
    return begins[-1] if tells else None


def broken_off(parts: Sequence[Sentence], pleads: bool) -> bool:
    """Whether a short message stops on the verb after the baby, as if cut off before the sign:
    "she stopped", "i think he just stopped"; with a plea ("please", or `pleads`: see
    matcher.is_urgent) also a bare "is", "has" or "keeps" ("help my son is"). Not a message that
    asks ("she stopped?"),
    nor one with more before the baby than panic (PANIC_OPENING): "hiccups then she stopped",
    "finally she stopped", "yes he is" and "dont know where she is" are whole. `parts` are the
    message's `sentences`."""
    words = words_of(parts)
    if not words or len(words) > BROKEN_OFF_WORDS or any(s.asks for s in parts):
        return False
    last = words[-1]
    pleads = pleads or "please" in words
    if last not in LEFT_HANGING and not (pleads and last in LEFT_HANGING_WITH_PLEA):
        return False
    baby = len(words) - 2
    while baby >= 0 and words[baby] in BETWEEN_BABY_AND_VERB:
        baby -= 1
    return baby >= 0 and words[baby] in BABY_SUBJECTS and set(words[:baby]) <= PANIC_OPENING


def plea_for_baby(parts: Sequence[Sentence]) -> bool:
    """Whether a short message is only a plea for help for the baby: "pls help baby", "help my
    baby!!", "someone help my son". It names no sign, yet nobody asks that way for advice, and a
    999 said in vain is the lesser error. Not a message that asks ("help my baby?"), nor one with
    any other word (see AROUND_A_PLEA). `parts` are the message's `sentences`."""
    words = words_of(parts)
    if not words or len(words) > BROKEN_OFF_WORDS or any(s.asks for s in parts):
        return False
    present = set(words)
    return bool(present & PLEA_WORDS) and bool(present & PLEADED_FOR) \
        and present <= PLEA_WORDS | PLEADED_FOR | AROUND_A_PLEA


def plea_in_haste(text: str) -> bool:
    """Whether a short message is only a plea (see PLEA_WORDS, AROUND_A_PLEA) with "help" typed in
    haste (see _HELP_IN_HASTE): "hlp", "pls hlp", "helppp me". Not a message that asks ("hlp?")."""
    typed = _TYPED_WORD.findall(text.lower().replace("'", ""))
    if not typed or len(typed) > BROKEN_OFF_WORDS or "?" in text:
        return False
    plea = PLEA_WORDS | AROUND_A_PLEA
    return any(_help_in_haste(w) for w in typed) \
        and all(_help_in_haste(w) or set(normalise(w)) <= plea for w in typed)


def _help_in_haste(typed: str) -> bool:
    """ "help" with its vowel dropped ("hlp") or a letter held down ("helppp", "heeelp")."""
    return bool(_HELP_IN_HASTE.fullmatch(typed)) and ("e" not in typed or bool(_HELD_DOWN.search(typed)))
