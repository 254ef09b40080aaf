"""The phrase layer: typos and text-speak match, negations and hypotheticals don't, emergencies always do."""
import pytest

from bot.risk.detector import MODEL_MATCH, assess
from bot.risk.normalise import normalise
from bot.risk.phrases import PhraseListError, parse

PHRASES = parse({
    "version": "test-1",
    "categories": {
        "emergency": ["is not breathing", "stopped breathing", "turned blue", "floppy"],
        "unsafe_sleep": [{"all": [["had a drink", "drunk", "wine"], ["in bed with me", "on the sofa"]]}],
        "substance_use": ["drink every day"],
        "self_harm": ["want to die"],
        "baby_loss": ["baby died"],
        "domestic_abuse": ["hits me"],
    },
})


def category(text, ranking=()):
    return assess(text, list(ranking), PHRASES, model_threshold=0.5).category


def test_text_speak_is_expanded_and_punctuation_dropped():
    assert normalise("He isnt BREATHING!!! pls") == ["he", "is", "not", "breathing", "please"]


@pytest.mark.parametrize("text", [
    "hes not breathing", "HE ISNT BREATHING", "he is not breathin", "baby stoped breathing",
    "she's turned blue!!", "he's gone all floppy", "is not really breathing help",
])
def test_emergencies_match_despite_typos_capitals_and_text_speak(text):
    assert category(text) == "emergency"


def test_a_hypothetical_emergency_question_is_not_an_emergency():
    assert category("what should I do if he ever stops breathing?") == "none"


def test_a_hypothetical_cue_never_silences_an_urgent_emergency():
    assert category("what if hes not breathing, help now") == "emergency"


def test_a_negation_never_silences_an_emergency():
    assert category("no no no he is not breathing") == "emergency"


def test_a_combination_needs_every_group():
    assert category("had a drink and baby is in bed with me") == "unsafe_sleep"
    assert category("baby is in bed with me") == "none"
    assert category("i had a drink") == "none"


def test_a_negated_phrase_is_not_a_risk():
    assert category("i never drink every day") == "none"
    assert category("i do not want to die") == "none"


def test_another_persons_past_loss_is_not_a_disclosure():
    assert category("my friends baby died of sids years ago, how common is it") == "none"


def test_emergency_wins_when_a_message_holds_several_risks():
    assert category("i want to die and he has stopped breathing") == "emergency"


def test_the_model_layer_raises_a_risk_the_phrases_miss():
    ranking = [{"name": "risk_domestic_abuse", "confidence": 0.8}]
    assessment = assess("he pushed me down the stairs", ranking, PHRASES, 0.5)
    assert (assessment.category, assessment.level, assessment.matched) == (
        "domestic_abuse", "high", MODEL_MATCH)


def test_the_model_layer_is_ignored_below_its_threshold_or_when_negated():
    assert category("he pushed me", [{"name": "risk_domestic_abuse", "confidence": 0.3}]) == "none"
    assert category("he never hits me", [{"name": "risk_domestic_abuse", "confidence": 0.9}]) == "none"


def test_a_sure_model_is_not_silenced_by_a_story_about_someone_else_happening_now():
    text = "my neighbour leaves her toddler and baby alone every night and goes out"
    for confidence, expected in ((0.97, "child_neglect"), (0.6, "none")):
        ranking = [{"name": "risk_child_neglect", "confidence": confidence}]
        assert assess(text, ranking, PHRASES, 0.5, sure_threshold=0.8).category == expected
    ranking = [{"name": "risk_child_neglect", "confidence": 0.97}]
    assert assess(text, ranking, PHRASES, 0.5).category == "none"  # without a sure threshold, as before


def test_a_sure_model_is_not_silenced_by_a_question_but_still_by_a_denial():
    ranking = [{"name": "risk_domestic_abuse", "confidence": 0.9}]
    asked = "is it normal for him to make me sleep on the floor if i dont do what he says"
    assert assess(asked, ranking, PHRASES, 0.5, sure_threshold=0.8).category == "domestic_abuse"
    assert assess(asked, ranking, PHRASES, 0.5).category == "none"
    assert assess("he never hits me", ranking, PHRASES, 0.5, sure_threshold=0.8).category == "none"


def test_assessment_names_the_phrase_and_level():
    assessment = assess("shes turned blue", [], PHRASES, 0.5)
    assert assessment.as_dict() == {"category": "emergency", "level": "emergency", "matched": "turned blue"}


@pytest.mark.parametrize("document, message", [
    ({"categories": {}}, "needs a `version`"),
    ({"version": 1, "categories": {"grumpy": ["x"]}}, "unknown categories"),
    ({"version": 1, "categories": {"emergency": [""]}}, "non-empty text"),
    ({"version": 1, "categories": {"emergency": [{"all": [["x"]]}]}}, r"2\+ groups"),
    ({"version": 1, "categories": {"emergency": [{"all": [["x"]], "unless": "y"}]}}, "must be a list"),
    ({"version": 1, "categories": {"emergency": [{"all": [["x"], ["y"]], "but": ["z"]}]}}, "combination is"),
    ({"version": 1, "categories": {"emergency": [{"all": [["x"], []]}]}}, "non-empty list"),
])
def test_a_malformed_phrase_list_is_a_clear_error(document, message):
    with pytest.raises(PhraseListError, match=message):
        parse(document)


def test_describing_someone_is_not_mistaken_for_a_question():
    assert category("my partner is a drinker and he hits me") == "domestic_abuse"


def model(category_name, confidence=0.9):
    return [{"name": f"risk_{category_name}", "confidence": confidence}]


@pytest.mark.parametrize("text, expected", [
    ("havent fed him since this morning", "child_neglect"),
    ("not one person knows im pregnant", "concealed_pregnancy"),
    ("i cant do this anymore i want it all to end", "self_harm"),
    ("got the shakes if i dont drink in the morning", "substance_use"),
])
def test_a_negation_that_is_the_disclosure_does_not_silence_the_model(text, expected):
    assert category(text, model(expected)) == expected


@pytest.mark.parametrize("text, model_category", [
    ("i never drink when im looking after the baby", "substance_use"),
    ("we dont co sleep, shes in her cot every night", "unsafe_sleep"),
    ("never left him alone even for a minute", "child_neglect"),
    ("i would never leave her on her own", "child_neglect"),
])
def test_a_parent_denying_a_risky_act_silences_the_model(text, model_category):
    assert category(text, model(model_category)) == "none"


@pytest.mark.parametrize("text, model_category, expected", [
    ("is it safe to sleep with baby if im on antidepressants", "unsafe_sleep", "none"),
    ("my sister had a miscarriage last year, am i more likely to", "baby_loss", "none"),
    ("he tracks my location and goes mad if im late", "domestic_abuse", "domestic_abuse"),
    ("whats the point in me living", "self_harm", "self_harm"),
])
def test_only_a_question_or_anothers_story_that_opens_the_message_silences_the_model(
        text, model_category, expected):
    assert category(text, model(model_category)) == expected


def test_an_emergency_the_model_sees_outranks_a_lesser_phrase():
    phrases = parse({"version": "t", "categories": {"concealed_pregnancy": ["do not know i am pregnant"]}})
    text = "think im giving birth my parents dont even know im pregnant"
    assessment = assess(text, model("emergency"), phrases, 0.5)
    assert (assessment.category, assessment.matched) == ("emergency", MODEL_MATCH)
    assert assess(text, [], phrases, 0.5).category == "concealed_pregnancy"


@pytest.mark.parametrize("typed, expanded", [
    ("had a mc", ["had", "a", "miscarriage"]),
    ("ma bubs", ["my", "baby"]),
    ("hv n mw", ["health", "visitor", "and", "midwife"]),
    ("dunno wat 2 do", ["do", "not", "know", "what", "2", "do"]),
    ("bby nt brthin rite hlp", ["baby", "not", "breathing", "right", "help"]),
])
def test_more_text_speak_is_expanded(typed, expanded):
    assert normalise(typed) == expanded


@pytest.mark.parametrize("typed, expanded", [
    ("baby is ill", ["baby", "is", "ill"]),
    ("hes so ill", ["he", "is", "so", "ill"]),
    ("babys ill", ["babys", "ill"]),
    ("lo ill with a cold", ["baby", "ill", "with", "a", "cold"]),
    ("ill hurt him", ["i", "will", "hurt", "him"]),
    ("ok ill try that", ["ok", "i", "will", "try", "that"]),
    ("im scared and ill hurt him", ["i", "am", "scared", "and", "i", "will", "hurt", "him"]),
    ("so angry and ill shake her", ["so", "angry", "and", "i", "will", "shake", "her"]),
    ("scared an ill kill him", ["scared", "an", "i", "will", "kill", "him"]),
    ("so tired and ill do something", ["so", "tired", "and", "i", "will", "do", "something"]),
    ("ill and feverish", ["ill", "and", "feverish"]),
    ("hes been ill", ["he", "is", "been", "ill"]),
    ("tired and ill baby", ["tired", "and", "ill", "baby"]),
    ("baby is ill do i call the gp", ["baby", "is", "ill", "do", "i", "call", "the", "gp"]),
])
def test_ill_is_i_will_only_where_it_cannot_describe_someone(typed, expanded):
    assert normalise(typed) == expanded



def test_an_unless_phrase_says_the_words_are_about_something_else():
    phrases = parse({"version": "t", "categories": {"emergency": [
        {"all": [["she is blue"]], "unless": ["blue murder"]}]}})
    assert assess("shes blue and floppy", [], phrases, 0.5).category == "emergency"
    assert assess("shes screamin blue murder at bath time", [], phrases, 0.5).category == "none"


@pytest.mark.parametrize("text, model_category", [
    ("left the baby with her dad while i went shopping", "child_neglect"),
    ("my mum is babysitting tonight so were off out", "child_neglect"),
    ("had my 20 week scan today, all good", "baby_loss"),
    ("she was poorly last week but shes loads better now", "baby_loss"),
    ("our cat died this morning and i cant stop crying", "baby_loss"),
    ("my grandad passed away, can i take the baby to the funeral", "baby_loss"),
    ("lost my goldfish today lol", "baby_loss"),
])
def test_words_that_contradict_a_category_silence_the_model_for_it(text, model_category):
    assert category(text, model(model_category)) == "none"


@pytest.mark.parametrize("text", ["he died in his sleep and my nan is heartbroken", "lost the baby at 12 weeks",
                                  "our dog died the same week i lost the baby"])
def test_a_baby_who_died_is_a_loss_whoever_else_is_named(text):
    assert category(text, model("baby_loss")) == "baby_loss"


def test_a_carer_does_not_excuse_another_risk_or_a_child_left_with_a_child():
    assert category("left the baby with my 4 year old and went out", model("child_neglect")) == "child_neglect"
    assert category("left the baby with her dad, he hits me", model("domestic_abuse")) == "domestic_abuse"


def test_a_group_is_negated_only_when_every_alternative_found_is():
    phrases = parse({"version": "t", "categories": {"child_neglect": [
        {"all": [["no heating"], ["baby", "freezing room"]]}]}})
    assert assess("no heating no blankets n baby in a freezin room", [], phrases, 0.5).category == "child_neglect"
    assert assess("we have no heating issues, no baby in the house", [], phrases, 0.5).category == "none"


def test_an_if_in_a_message_that_asks_nothing_is_a_fear_not_a_hypothetical():
    phrases = parse({"version": "t", "categories": {"concealed_pregnancy": ["take my baby"]}})
    assert assess("if social find out they will take my baby", [], phrases, 0.5).category == "concealed_pregnancy"
    assert assess("if i tell the midwife can they take my baby", [], phrases, 0.5).category == "none"


def test_an_emergency_threshold_lets_a_less_sure_model_raise_only_an_emergency():
    unsure_emergency = [{"name": "risk_emergency", "confidence": 0.4}]
    unsure_abuse = [{"name": "risk_domestic_abuse", "confidence": 0.4}]
    assert assess("her lips look odd", unsure_emergency, PHRASES, 0.5).category == "none"
    assert assess("her lips look odd", unsure_emergency, PHRASES, 0.5, 0.35).category == "emergency"
    assert assess("he shoved me", unsure_abuse, PHRASES, 0.5, 0.35).category == "none"


@pytest.mark.parametrize("text, urgent", [
    ("help my baby isnt breathing", True),
    ("she wont settle, help", True),
    ("please help", True),
    ("my friend had a miscarriage, how can i help her", False),
    ("where can i get help for a friend", False),
])
def test_help_is_urgent_as_a_plea_not_as_a_verb(text, urgent):
    from bot.risk.matcher import is_urgent
    assert is_urgent(normalise(text)) is urgent


@pytest.mark.parametrize("text", [
    "she went blue when crying but pinked up straight away",
    "he fell off the sofa last week but the doctor checked him and hes fine",
])
def test_an_emergency_that_is_over_is_not_one(text):
    assert category(text) == "none"
    assert category(text, model("emergency")) == "none"


def test_an_emergency_only_feared_is_not_one():
    assert category("im scared he will stop breathing in his sleep") == "none"


def test_an_emergency_that_is_over_still_counts_when_it_is_happening_again_now():
    assert category("he went blue but was fine, now hes stopped breathing again") == "emergency"


def test_a_negation_inside_a_gapped_match_cancels_it():
    assert category("he never hits me, hes a good man") == "none"
    assert category("he really hits me") == "domestic_abuse"


def test_asking_what_to_do_if_is_a_hypothetical_emergency_but_saying_it_is_happening_is_not():
    assert category("tell me what to do if a baby stopped breathing") == "none"
    assert category("not sure what to do if hes stopped breathing, help now") == "emergency"


def test_an_emergency_sign_a_nurse_called_normal_is_over_but_one_happening_now_is_not():
    assert category("she was a bit floppy after her jabs but the nurse said that is normal") == "none"
    assert category("she is floppy now, the nurse said it was normal earlier") == "emergency"


@pytest.mark.parametrize("text", [
    "shes gone floppy and limp, the nurse said it was normal",
    "my baby stopped breathing for a bit, doctor said it is normal",
    "he has turned blue again, the doctor said that was normal last week",
])
def test_a_professionals_reassurance_does_not_silence_an_emergency_told_as_happening(text):
    assert category(text) == "emergency"
    assert category(text, model("emergency")) == "emergency"


def test_a_professionals_reassurance_ends_an_emergency_told_as_past_and_over():
    assert category("he turned blue last week, the doctor said that is normal") == "none"
    assert category("he turned blue last week, the doctor said that is normal", model("emergency")) == "none"


def test_a_real_word_near_a_risk_word_is_not_read_as_its_typo():
    from bot.risk.matcher import words_match

    assert not words_match("concussion", "convulsion")
    assert words_match("convulsoin", "convulsion")


@pytest.mark.parametrize("typed, target", [
    ("bule", "blue"), ("lbue", "blue"), ("greey", "grey"), ("rbeathing", "breathing"), ("waek", "wake"),
])
def test_a_slip_of_the_thumb_in_a_short_word_or_its_first_letters_still_matches(typed, target):
    from bot.risk.matcher import words_match

    assert words_match(typed, target)


@pytest.mark.parametrize("typed, target", [("blur", "blue"), ("read", "dead"), ("slip", "slap"), ("lip", "limp")])
def test_other_edits_of_a_short_word_do_not_match_it(typed, target):
    from bot.risk.matcher import words_match

    assert not words_match(typed, target)


@pytest.mark.parametrize("text", ["he isnt rbeathing", "shse turned bule", "he is not brteahing", "he has turnned blue"])
def test_emergencies_match_despite_swapped_or_doubled_letters(text):
    assert category(text) == "emergency"


@pytest.mark.parametrize("typed, target", [
    ("bue", "blue"), ("lmp", "limp"), ("gry", "grey"), ("reathing", "breathing"),
])
def test_a_letter_dropped_from_a_word_is_restored_when_what_was_typed_is_not_a_word(typed, target):
    from bot.risk.matcher import words_match

    assert words_match(typed, target)


@pytest.mark.parametrize("real, slipped, target", [
    ("lip", "lmp", "limp"), ("imp", "lmp", "limp"), ("bat", "bth", "bath"), ("dad", "dea", "dead"),
])
def test_a_real_word_is_never_read_as_a_risk_word_with_a_letter_restored(real, slipped, target):
    from bot.risk.matcher import words_match

    assert words_match(slipped, target)
    assert not words_match(real, target)


@pytest.mark.parametrize("text", ["he has turned bue", "baby stopped reathing"])
def test_emergencies_match_despite_a_dropped_letter(text):
    assert category(text) == "emergency"


@pytest.mark.parametrize("typed, target", [("ot", "not"), ("fi", "fit"), ("hs", "his")])
def test_a_letter_dropped_from_a_three_letter_word_is_restored_when_what_is_left_is_no_word(typed, target):
    from bot.risk.matcher import words_match

    assert words_match(typed, target)


@pytest.mark.parametrize("real, target", [("no", "not"), ("so", "son"), ("he", "hes")])
def test_a_two_letter_word_is_never_read_as_a_three_letter_risk_word(real, target):
    from bot.risk.matcher import words_match

    assert not words_match(real, target)


@pytest.mark.parametrize("typed, abbreviation", [("cp", "cpr"), ("mm", "mmc")])
def test_a_three_letter_abbreviation_is_not_read_back_from_two_of_its_letters(typed, abbreviation):
    from bot.risk.matcher import words_match

    assert not words_match(typed, abbreviation)  # "dying for a cp of tea" is no CPR


def test_a_seldom_written_word_far_rarer_than_the_risk_word_it_is_a_letter_short_of_is_read_as_that_word():
    from bot.risk.matcher import words_match

    assert words_match("blu", "blue")  # listed, but 700 times rarer than "blue"
    assert not words_match("imp", "limp")  # only 11 times rarer: an imp is meant
    assert not words_match("rink", "drink")  # 190 times rarer, but written often enough to be meant


@pytest.mark.parametrize("text", ["hes ot breathing", "he turned blu", "she isn breathing", "he ist breathing"])
def test_emergencies_match_despite_a_letter_dropped_from_a_short_word_or_a_contraction(text):
    assert category(text) == "emergency"


@pytest.mark.parametrize("typed, expanded", [
    ("isn", ["is", "not"]), ("ist", ["is", "not"]), ("wnt", ["will", "not"]), ("ses", ["she", "is"]),
    ("won", ["won"]), ("cat", ["cat"]),
])
def test_a_contraction_with_a_letter_dropped_still_expands_unless_what_is_left_is_a_word(typed, expanded):
    assert normalise(typed) == expanded


@pytest.mark.parametrize("text", [
    "hes notbreathing", "HESNOT BREATHING", "he isnot breathing", "she stoppedbreathing", "baby turnedblue",
])
def test_two_words_run_together_are_read_apart(text):
    assert category(text) == "emergency"


def test_run_together_words_are_split_only_when_the_whole_is_not_a_real_word():
    phrases = parse({"version": "test", "categories": {"emergency": ["not breathing", "no tice"]}})
    assert assess("notbreathing", [], phrases, 0.5).category == "emergency"
    assert assess("did you notice", [], phrases, 0.5).category == "none"


def test_an_emergency_found_by_reading_words_apart_outranks_a_match_found_without():
    assert category("had a drink and on the sofa with him and hes notbreathing") == "emergency"


@pytest.mark.parametrize("typed, expanded", [
    ("catn", ["can", "not"]), ("wnot", ["will", "not"]), ("ccant", ["can", "not"]), ("shse", ["she", "is"]),
    ("itll", ["it", "will"]),
])
def test_mistyped_text_speak_still_expands(typed, expanded):
    assert normalise(typed) == expanded


def test_a_key_given_twice_in_one_entry_is_an_error_not_a_silent_override(tmp_path):
    from bot.risk.phrases import load

    path = tmp_path / "phrases.yml"
    path.write_text('version: "1"\ncategories:\n  emergency:\n    - all: [[rash], [glass]]\n'
                    '      unless: [fades when]\n      unless: [glass test]\n')
    with pytest.raises(PhraseListError, match="line 6: `unless` given twice"):
        load(path)


@pytest.mark.parametrize("typed, target", [
    ("reething", "breathing"), ("lopppy", "floppy"), ("coknig", "choking"), ("wakkingg", "waking"),
])
def test_two_slips_in_one_long_word_that_is_no_word_still_match(typed, target):
    from bot.risk.matcher import words_match

    assert words_match(typed, target)


@pytest.mark.parametrize("typed, target", [
    ("sloppy", "floppy"),  # a real word
    ("slappin", "slapped"),  # "-ing" typed "-in": "slapping"
    ("sudafed", "sedated"),  # two consonants changed: another word, not two slips
    ("sitfff", "stiff"),  # too short a phrase word for two slips
    ("hmiself", "myself"),  # one slip from "himself", which is meant
])
def test_two_edits_are_no_two_slips_in_a_real_word_a_changed_consonant_or_a_short_word(typed, target):
    from bot.risk.matcher import words_match

    assert not words_match(typed, target)


def test_an_emergency_matches_despite_two_slips_in_one_word():
    assert category("he is not reething") == "emergency"
    assert category("baby has gone flpopyy") == "emergency"


@pytest.mark.parametrize("text", ["hlp", "HLP", "plz hlp", "hlp me", "HELPPPP", "omg hlp"])
def test_a_plea_typed_in_haste_and_nothing_else_is_an_emergency(text):
    assert category(text) == "emergency"


@pytest.mark.parametrize("text", ["help", "HELP", "Help!", "help me", "hlp?", "hlp with sleep", "pls help", "hlep",
                                  "hellp"])
def test_a_lone_help_spelt_out_or_slipped_or_a_hasty_plea_that_asks_or_says_more_is_no_emergency(text):
    assert category(text) == "none"  # a lone HELP is the carrier keyword, or asks what the bot can do


@pytest.mark.parametrize("text", [
    "what happens if a baby turns blue, he has turned blue",
    "what should i do if they stop breathing, i think she has stopped breathing",
])
def test_a_sign_told_as_happening_to_the_baby_in_a_clause_after_a_what_if_is_an_emergency(text):
    assert category(text) == "emergency"


@pytest.mark.parametrize("text", [
    "what happens if a baby turns blue",
    "what happens if a baby turns blue, he has turned blue?",  # the question mark asks it all
    "what happens if a baby turns blue, he turned blue once last year",  # told as past
    "what happens if a baby turns blue, my brother has turned blue",  # not the baby
])
def test_a_what_if_still_asks_when_no_later_clause_tells_the_sign_as_happening_to_the_baby(text):
    assert category(text) == "none"


@pytest.mark.parametrize("typed, target", [
    ("drank", "drink"), ("taken", "takes"), ("pregnant", "pregnancy"), ("smokes", "smoker"),
])
def test_a_real_word_still_matches_a_risk_word_that_differs_only_in_its_vowels_or_its_ending(typed, target):
    from bot.risk.matcher import words_match

    assert words_match(typed, target)


@pytest.mark.parametrize("real, target", [
    ("confusion", "convulsion"), ("still", "spilled"), ("talking", "tracking"), ("down", "drowned"),
    ("sleeping", "stepping"), ("moaning", "morning"),
])
def test_the_typo_rule_no_longer_bends_a_real_word_into_a_risk_word_by_a_consonant(real, target):
    from bot.risk.matcher import words_match

    assert not words_match(real, target)


@pytest.mark.parametrize("typo, target", [("spiled", "spilled"), ("trackng", "tracking"), ("drownd", "drowned")])
def test_a_typo_that_is_no_real_word_is_still_forgiven_a_consonant(typo, target):
    from bot.risk.matcher import words_match

    assert words_match(typo, target)


@pytest.mark.parametrize("typed, expanded", [
    ("took an od", ["took", "an", "overdose"]), ("gonna od", ["going", "to", "overdose"]),
    ("how od i", ["how", "do", "i"]), ("od they", ["do", "they"]),
])
def test_od_is_an_overdose_only_after_a_word_an_overdose_follows_and_elsewhere_a_slipped_do(typed, expanded):
    assert normalise(typed) == expanded


SIGNS = parse({
    "version": "test-19",
    "categories": {"emergency": ["scalded", "choking", "floppy", "had a fit"]},
})


def sign_category(text):
    return assess(text, [], SIGNS, model_threshold=0.5).category


@pytest.mark.parametrize("text", ["how hot should the bottle be so she does not get scalded",
                                  "how do i cut grapes to avoid choking",
                                  "what size pieces so as not to risk choking"])
def test_a_sign_named_as_what_to_prevent_is_no_emergency(text):
    assert sign_category(text) == "none"


@pytest.mark.parametrize("text", ["doing back blows to stop her choking", "shes wedged so she can not stop choking",
                                  "i put him in the bath so he does not overheat and he is choking"])
def test_a_sign_being_dealt_with_or_told_as_a_result_is_still_999(text):
    assert sign_category(text) == "emergency"


def test_now_telling_the_parents_worry_since_anothers_story_is_no_urgency():
    text = "my sisters baby had a fit last year and now i am worried, what should i watch for"
    assert sign_category(text) == "none"
    assert sign_category("my sisters baby had a fit last year and now mine is shaking") == "emergency"


def test_a_well_baby_a_professional_reassured_about_is_no_emergency():
    assert sign_category("bit floppy after his injections but feeding and smiling, the nurse said that is ok") == "none"


@pytest.mark.parametrize("text", [
    "bit floppy after his injections and not feeding or smiling, the nurse said that is ok",
    "hes gone floppy after his injections but still feeding, the nurse said that is ok",
    "floppy and smiling, is that ok",
    "a bit floppy after his injections and struggling with feeding, the nurse said that is ok",
])
def test_a_baby_not_well_going_floppy_or_not_reassured_stays_999(text):
    assert sign_category(text) == "emergency"


@pytest.mark.parametrize("text", [
    "i used to want to die as a teenager but im in a good place now, should i tell the midwife",
    "our baby died 4 years ago and now we have two healthy girls, do i tell the new midwife",
    "used to want to die years ago, now i am 20 weeks and happy",
])
def test_now_telling_a_settled_present_after_the_parents_own_past_is_no_urgency(text):
    assert category(text) == "none"


@pytest.mark.parametrize("text", [
    "i used to want to die and now i want to die again",
    "i used to want to die, now im not in a good place",
    "used to drink every day years ago, now im pregnant and i drink every day again",
    "our baby died 4 years ago and now we have two healthy girls but he is not breathing",
])
def test_a_risk_told_after_the_settled_now_or_not_settled_or_an_emergency_still_counts(text):
    assert category(text) != "none"


UNSAFE_SLEEP_MODEL = [{"name": "risk_unsafe_sleep", "confidence": 0.9}]


@pytest.mark.parametrize("text", [
    "two proseccos at the party so my husband stayed sober and took over",
    "i had a few gins, my mums doing the night feeds tonight",
])
def test_the_model_alone_is_not_believed_on_a_drink_with_the_nights_care_handed_to_a_sober_adult(text):
    assert category(text, UNSAFE_SLEEP_MODEL) == "none"


@pytest.mark.parametrize("text", [
    "my husband did the night feed then i had her on the sofa with me after a few gins",
    "had a few gins and my partner is not sober either, hes got the baby tonight",
])
def test_a_drink_with_a_shared_surface_or_no_sober_adult_stays_unsafe_sleep_for_the_model(text):
    assert category(text, UNSAFE_SLEEP_MODEL) == "unsafe_sleep"


SWALLOWED = parse({
    "version": "test-unseen",
    "categories": {"emergency": [{"all": [["swallowed a"], ["battery", "magnet", "grape"]]}, "went blue"]},
})


def swallowed_category(text, ranking=()):
    return assess(text, list(ranking), SWALLOWED, model_threshold=0.5).category


@pytest.mark.parametrize("text", [
    "swallowed a battery but is fine now",
    "swallowed a magnet, back to normal and all good",
    "swallowed a battery, checked him and he is absolutely fine",
    "swallowed a magnet but was fine after, is that ok",
])
def test_a_well_sign_does_not_end_an_emergency_whose_harm_goes_unseen(text):
    assert swallowed_category(text) == "emergency"


@pytest.mark.parametrize("text", ["swallowed a grape but is fine now", "went blue but is fine now"])
def test_a_well_sign_still_ends_an_emergency_whose_harm_shows(text):
    assert swallowed_category(text) == "none"


@pytest.mark.parametrize("text", [
    "swallowed a magnet years ago but is fine now",
    "swallowed a battery, the hospital checked him and he is fine",
    "swallowed a battery last week, the doctor said that is normal",
])
def test_a_time_long_past_or_a_professionals_check_or_word_still_ends_an_unseen_harm(text):
    assert swallowed_category(text) == "none"


def test_a_well_sign_does_not_silence_the_models_emergency_when_the_message_names_a_battery_or_magnet():
    # no phrase matches ("ate the"), so the model's emergency alone decides
    assert swallowed_category("think he ate the battery from the remote but is fine now", model("emergency")) \
        == "emergency"
    assert swallowed_category("think he ate the grape but is fine now", model("emergency")) == "none"


# Readings from development set 53's false alarms, as classes (tests in other words)
READINGS_53 = parse({
    "version": "test-53",
    "categories": {
        "emergency": ["not breathing", "stopped breathing", "can not breathe", "choking", "went blue", "going blue", "lips blue",
                      "floppy", "limp"],
        "unsafe_sleep": [{"all": [["drinks", "smokes", "smoker and", "had a drink"], ["co sleep", "in our bed"]]}],
    },
})


def reading_53(text, ranking=()):
    return assess(text, list(ranking), READINGS_53, model_threshold=0.5).category


@pytest.mark.parametrize("text", [
    "thinking of having her in our bed, none of us smokes and she was born at term",
    "we want to co sleep safely, neither of them drinks",
])
def test_neither_of_us_or_none_of_us_negates_what_follows_as_never_would(text):
    assert reading_53(text) == "none"


def test_neither_of_us_negates_only_what_it_stands_before():
    assert reading_53("neither of us works, he drinks every night and she sleeps in our bed") == "unsafe_sleep"


@pytest.mark.parametrize("text", [
    "his lips blue after the paddling pool, rubbed him dry and he was pink again straight away, normal?",
    "she went blue when she held her breath crying, her colour came back quickly",
    "went blue in the cold wind but was back to his normal colour by the time we got home",
])
def test_a_colour_told_as_come_back_is_over(text):
    assert reading_53(text) == "none"


@pytest.mark.parametrize("text", [
    "she keeps going blue then pink again then blue",
    "went blue and his colour came back but now hes gone blue again",
    "went blue, was pink again for a minute, then blue",
    "lips blue, her colour came back then she went grey",
])
def test_a_colour_that_comes_and_goes_or_is_back_again_now_stays_999(text):
    assert reading_53(text) == "emergency"


@pytest.mark.parametrize("text", [
    "ran for the bus with the buggy and i can not breathe haha",
    "laughed so hard i was literally choking, baby is fast asleep",
    "it is me that is not breathing after that hill, the baby is grand",
])
def test_a_breathing_or_choking_sign_told_of_the_speaker_is_no_babys_emergency(text):
    assert reading_53(text) == "none"


@pytest.mark.parametrize("text", [
    "i cant hear him breathing and hes cold",
    "fell asleep feeding and shes under me not breathing",
    "i think not breathing, help",
    "i am holding her and she stopped breathing",
])
def test_the_babys_breathing_told_beside_the_speaker_stays_999(text):
    assert reading_53(text) == "emergency"


@pytest.mark.parametrize("text", [
    "he goes so floppy when hes napping, like jelly haha",
    "my son is limp as a rag when he is sleeping on my shoulder, adorable",
])
def test_floppiness_told_as_how_a_sleeping_baby_always_is_is_no_emergency(text):
    assert reading_53(text) == "none"


@pytest.mark.parametrize("text", [
    "he goes floppy when asleep and will not wake",
    "shes floppy when sleeping and her lips went blue",
    "she has gone floppy while sleeping",
    "she went floppy while asleep in the sling",
    "he was floppy when asleep on my chest",
    "floppy and hot when he is asleep",
])
def test_floppiness_in_sleep_with_anything_else_told_stays_999(text):
    assert reading_53(text) == "emergency"


CLEARED_AND_PAST = parse({
    "version": "test-53-probes",
    "categories": {
        "emergency": ["choking on", "choked on", "wheezing", "lips are blue"],
        "baby_loss": ["son died", "stillborn"],
    },
})


def cleared_category(text):
    return assess(text, [], CLEARED_AND_PAST, model_threshold=0.5).category


@pytest.mark.parametrize("text", [
    "he choked on some toast, coughed it out, seems fine, when can he have toast again",
    "choked on a raisin yesterday but spat it out, all ok, are raisins safe",
])
def test_a_choke_told_as_cleared_and_the_child_well_after_is_over(text):
    assert cleared_category(text) == "none"


@pytest.mark.parametrize("text", [
    "choked on a carrot, coughed it up but is still wheezing and ok i think",
    "coughed it up fine but now she is choking on it again",
    "choked on a grape, got it out, not ok, lips are blue",
])
def test_a_choke_cleared_but_still_going_on_or_not_well_stays_999(text):
    assert cleared_category(text) == "emergency"


def test_a_loss_in_a_past_year_before_a_settled_now_is_that_past():
    assert cleared_category("my cousins son died in 2018 and now she is expecting again, what do i say") == "none"
    assert cleared_category("my baby was stillborn in 2023 and now i feel empty") == "baby_loss"
