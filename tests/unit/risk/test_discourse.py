"""How a message tells its risk: a question reaches only to its sentence's end, a parent's own
statement outweighs an opening question or story, and an emergency sign told as past, habitual or
over and then asked about is a question, while one that may be happening now stays an emergency."""
import pytest

from bot.risk.detector import assess
from bot.risk.discourse import sentences, sign_asked_about, states_about_self
from bot.risk.normalise import normalise
from bot.risk.phrases import parse

PHRASES = parse({
    "version": "test-discourse",
    "categories": {
        "emergency": ["had a fit", "having a fit", "stopped breathing", "not breathing", "blue lips",
                      "goes blue"],
        "concealed_pregnancy": ["no one knows i am pregnant"],
    },
})


def category(text, ranking=()):
    return assess(text, list(ranking), PHRASES, 0.5, 0.35).category


def model(intent, confidence):
    return [{"name": intent, "confidence": confidence}]


def test_sentences_keep_the_message_words_in_order_and_know_which_ask():
    parts = sentences("Is it normal? He kicked me. what now")
    assert [(s.start, s.words, s.asks) for s in parts] == [
        (0, ("is", "it", "normal"), True), (3, ("he", "kicked", "me"), False),
        (6, ("what", "now"), True)]


def test_a_question_does_not_silence_a_disclosure_told_in_another_sentence():
    abuse = model("risk_domestic_abuse", 0.9)
    assert category("is it normal to be scared of ur partner? he kicked me in the belly", abuse) \
        == "domestic_abuse"
    assert category("is it normal to be scared of thunder", abuse) == "none"


def test_a_question_cue_reaches_a_phrase_only_in_its_own_sentence():
    assert category("is it too late to see a midwife? no one knows im pregnant") == "concealed_pregnancy"
    assert category("is it bad that no one knows im pregnant yet") == "none"


def test_a_parents_own_statement_outweighs_another_persons_story_that_opens_the_message():
    substance = model("risk_substance_use", 0.93)
    assert category("my mum says im an alcoholic and im pregnant", substance) == "substance_use"
    assert category("my mum is an alcoholic, how do i help her", substance) == "none"


def test_an_unpunctuated_question_is_not_a_statement_about_the_parent():
    assert not states_about_self("my sister had a miscarriage last year does that make it likely for me")
    assert states_about_self("i have not had any appointments")


@pytest.mark.parametrize("text, ranking", [
    ("my baby had a fit once when he had a high temperature, what causes that", ()),
    ("he breathes really fast sometimes, is that ok", model("risk_emergency", 0.48)),
    ("choked on his milk a bit then coughed n was fine, is that normal", model("risk_emergency", 0.6)),
    ("what does it mean if a baby goes blue round the lips? my mate said it happened to hers", ()),
])
def test_an_emergency_sign_told_as_not_happening_now_and_asked_about_is_a_question(text, ranking):
    assert category(text, ranking) == "none"


@pytest.mark.parametrize("text", [
    "he is having a fit, is that normal",        # told in the present
    "she had a fit just now, what causes that",  # just now
    "he stopped breathing, is that normal",      # no sign that it is over or long ago
    "he had a fit once and now he is not breathing, is that normal",
    "what do i do if hes not breathing, help",   # a plea
    "he stopped breathing last night and went blue, is that normal",  # recent, not over
    "she had a fit 10 minutes ago, what causes that",
])
def test_an_emergency_sign_that_may_be_happening_now_stays_an_emergency(text):
    assert category(text) == "emergency"


def test_now_after_an_age_is_not_urgency():
    assert category("my friends baby was born not breathing but shes 2 now n absolutely fine") == "none"
    assert category("he is 2 weeks old and not breathing now") == "emergency"


def test_a_concealed_pregnancy_with_an_emergency_ranked_next_is_a_concealed_labour():
    ranking = [{"name": "risk_concealed_pregnancy", "confidence": 0.66},
               {"name": "risk_emergency", "confidence": 0.24}]
    assert category("waters gone n im pushin, nobody knows, im locked in the bathroom", ranking) == "emergency"
    ranking[1]["confidence"] = 0.1
    assert category("waters gone n im pushin, nobody knows, im locked in the bathroom", ranking) \
        == "concealed_pregnancy"


def test_the_concealed_labour_probability_is_the_one_configured():
    ranking = [{"name": "risk_concealed_pregnancy", "confidence": 0.66},
               {"name": "risk_emergency", "confidence": 0.1}]
    text = "waters gone n im pushin, nobody knows, im locked in the bathroom"
    assert assess(text, ranking, PHRASES, 0.5, 0.35, concealed_labour=0.1).category == "emergency"
    assert assess(text, ranking, PHRASES, 0.5, 0.35, concealed_labour=0.2).category == "concealed_pregnancy"


def test_unsafe_sleep_with_an_emergency_ranked_next_at_the_emergency_threshold_is_an_emergency():
    text = "help he fell asleep on my chest on the sofa and now he wont wake properly"
    ranking = [{"name": "risk_unsafe_sleep", "confidence": 0.59}, {"name": "risk_emergency", "confidence": 0.38}]
    assert category(text, ranking) == "emergency"
    ranking[1]["confidence"] = 0.3  # below the emergency threshold (0.35 here)
    assert category(text, ranking) == "unsafe_sleep"


def test_unsafe_sleep_beside_an_emergency_asked_about_is_not_an_emergency():
    ranking = [{"name": "risk_unsafe_sleep", "confidence": 0.59}, {"name": "risk_emergency", "confidence": 0.38}]
    # The question about a sign is hypothetical, and a question silences the model's unsafe sleep.
    assert category("what should i do if he stops breathing when we fall asleep on the sofa together",
                    ranking) == "none"


def test_another_risk_with_an_emergency_ranked_next_keeps_its_category():
    ranking = [{"name": "risk_child_neglect", "confidence": 0.66}, {"name": "risk_emergency", "confidence": 0.3}]
    assert category("not fed him since yesterday", ranking) == "child_neglect"


def test_common_text_speak_for_family_and_pregnancy_is_expanded():
    assert normalise("my sis is preg tbh, mite tell her 2nite") == [
        "my", "sister", "is", "pregnant", "to", "be", "honest", "might", "tell", "her", "tonight"]


def test_a_story_read_or_watched_is_not_a_disclosure():
    loss = model("risk_baby_loss", 0.8)
    assert category("watched a documentary, a baby died of sids, how common is it", loss) == "none"


@pytest.mark.parametrize("text, expected", [
    ("my partner fell asleep on the sofa and the baby was in the moses basket", "none"),
    ("my baby fell asleep on me on the sofa, i was awake the whole time", "none"),
    ("too drunk to get up so shes in with me, she wont settle in the moses basket", "unsafe_sleep"),
    ("took a sleeping tablet and now im too groggy to put him back in his cot", "unsafe_sleep"),
])
def test_a_baby_in_their_own_cot_or_a_parent_awake_contradicts_unsafe_sleep_for_the_model(text, expected):
    assert category(text, model("risk_unsafe_sleep", 0.9)) == expected


def test_a_what_if_question_followed_by_the_parents_own_telling_does_not_silence_the_model():
    asked_then_told = "what if someone gave too much calpol? i think ive given her three doses and shes floppy"
    assert category(asked_then_told, model("risk_emergency", 0.9)) == "emergency"
    assert category("what if someone gave too much calpol by mistake", model("risk_emergency", 0.9)) == "none"
    assert category("i give her calpol at night. what if i gave too much by mistake?",
                    model("risk_emergency", 0.9)) == "none"


@pytest.mark.parametrize("text", ["i think he stopped", "he just stopped", "the baby stopped",
                                  "help my daughter is", "please my baby has"])
def test_a_short_message_broken_off_on_the_verb_after_the_baby_is_an_emergency(text):
    assert category(text) == "emergency"


@pytest.mark.parametrize("text", ["finally she stopped", "hiccups then she stopped", "she stopped?",
                                  "she stopped crying", "yes he is", "my son is", "help i dont know where she is",
                                  "the rash went on for a day then it just stopped and he is fine"])
def test_a_message_told_whole_that_ends_on_a_verb_is_not_broken_off(text):
    assert category(text) == "none"


@pytest.mark.parametrize("text", ["pls help baby", "help my baby!!", "someone help my son", "baby help",
                                  "plz hlp my bby", "my baby needs help"])
def test_a_short_plea_for_the_baby_and_nothing_else_is_an_emergency(text):
    assert category(text) == "emergency"


@pytest.mark.parametrize("text", ["HELP", "help me", "help baby sleep", "help with baby", "can you help my baby",
                                  "help my baby?", "i need help with my baby", "help my baby sleep through"])
def test_a_lone_help_or_a_plea_for_advice_about_the_baby_is_not_a_plea_for_the_baby(text):
    assert category(text) == "none"


SIGNS = parse({
    "version": "test-discourse-19",
    "categories": {"emergency": ["seizure", "went blue", "had a fit", "floppy", "scalded"]},
})


def sign_category(text, ranking=()):
    return assess(text, list(ranking), SIGNS, 0.5, 0.35).category


@pytest.mark.parametrize("text", [
    "a baby in a film went blue and they saved him, is that common",
    "the toddler on the news went blue in the pool, is that something that happens a lot",
])
def test_a_sign_told_of_a_baby_on_a_screen_then_asked_about_is_a_question(text):
    assert sign_category(text) == "none"


def test_a_sign_told_while_the_parent_watched_a_screen_is_still_999():
    assert sign_category("he went blue while i was watching something on tv, is that normal") == "emergency"


@pytest.mark.parametrize("text", [
    "she flings her arms up when the door bangs, could it be a seizure or is it the startle",
    "his chin wobbles while he feeds, is this a seizure or just a newborn thing",
])
def test_a_diagnosis_named_only_to_be_ruled_out_after_a_habit_is_a_question(text):
    assert sign_category(text) == "none"


@pytest.mark.parametrize("text", [
    "his arms are jerking and he is staring, is that a seizure or a dream",
    "is that a seizure or not, his eyes",
    "he jerks when he sleeps, is that a seizure",
])
def test_a_diagnosis_asked_about_something_going_on_or_with_no_other_reading_stays_999(text):
    assert sign_category(text) == "emergency"


def test_the_model_alone_is_not_believed_on_a_diagnosis_named_only_to_be_ruled_out():
    text = "her legs kick out when she is falling asleep, is that a fit or normal"
    assert sign_category(text, model("risk_emergency", 0.8)) == "none"
    assert sign_category("her legs are kicking out, is that a fit or normal", model("risk_emergency", 0.8)) == "emergency"


@pytest.mark.parametrize("text", ["pretty sure these are braxton hicks, tight then nothing for ages",
                                  "having braxton hicks again this evening, they fade if i lie down"])
def test_the_model_alone_is_not_believed_on_tightenings_told_as_braxton_hicks(text):
    assert sign_category(text, model("risk_emergency", 0.8)) == "none"


@pytest.mark.parametrize("text", ["thought it was braxton hicks but theres blood and i want to push",
                                  "i thought they were braxton hicks but they are 3 minutes apart"])
def test_braxton_hicks_named_beside_a_sign_of_labour_under_way_stays_999(text):
    assert sign_category(text, model("risk_emergency", 0.8)) == "emergency"


@pytest.mark.parametrize("text", [
    "read an article about a baby who went blue in a car seat, how long can mine stay in hers",
    "saw on instagram a baby had a fit in the bath, what temperature should it be",
    "watched a clip about a baby choking and now i keep checking on mine, how do i stop",
])
def test_the_model_alone_is_not_believed_on_a_babys_emergency_the_parent_saw_or_read_about(text):
    assert sign_category(text, model("risk_emergency", 0.9)) == "none"


@pytest.mark.parametrize("text", [
    "saw a video about a baby who went blue and now mine has gone blue too",
    "i was watching a video about baby sleep and he went blue",
    "read about a baby who had a fit, my son is jerking like that",
])
def test_a_media_story_beside_the_parents_own_baby_or_anything_going_on_stays_999(text):
    assert sign_category(text, model("risk_emergency", 0.9)) == "emergency"


def test_a_sign_told_of_a_baby_the_parent_read_about_is_no_phrase_emergency():
    assert sign_category("read a news story about a baby who went blue in a sling, which slings do you recommend") == "none"
    assert sign_category("read a news story about a sling, she went blue in hers") == "emergency"


def test_a_child_told_as_well_after_a_swallowed_battery_or_magnet_does_not_make_it_a_question():
    told_well = normalise("he swallowed a magnet but was fine after, is that ok")
    assert sign_asked_about(told_well, 1)
    assert not sign_asked_about(told_well, 1, harm_unseen=True)


@pytest.mark.parametrize("text", ["my friends baby swallowed a magnet once, is that bad",
                                  "my mates baby swallowed a battery but was fine after, is that bad"])
def test_a_swallowed_battery_or_magnet_told_as_once_habitual_or_someone_elses_is_still_asked_about(text):
    assert sign_asked_about(normalise(text), 3, harm_unseen=True)


# Readings from development set 53's false alarms, as classes (tests in other words)
@pytest.mark.parametrize("text", [
    "that documentary had a newborn who had a fit and i could not watch it",
    "the youtube video showed a baby who went blue in the bath, so scary",
    "a film where a toddler had a fit made me cry",
])
def test_a_baby_a_screen_or_story_had_or_showed_is_that_storys_not_the_parents(text):
    assert sign_category(text) == "none"


@pytest.mark.parametrize("text", [
    "the telly was on with the baby beside me and she went blue",
    "the film had just started and my baby had a fit",
])
def test_a_screen_beside_the_parents_own_baby_stays_999(text):
    assert sign_category(text) == "emergency"


AGES_AND_SIGNS = parse({
    "version": "test-discourse-53",
    "categories": {"emergency": ["had a fit", "having a fit", "went blue", "stopped breathing", "not breathing"]},
})


def age_category(text):
    return assess(text, [], AGES_AND_SIGNS, 0.5, 0.35).category


@pytest.mark.parametrize("text", [
    "my daughter had a fit once as a baby, she is 6 now and healthy, will it happen to her brother",
    "he went blue as a newborn, the gp said it was reflux, he is now 4, could that happen again",
    "my eldest stopped breathing once when he was tiny, he is 2 years old now, does it run in families",
])
def test_a_sign_long_past_in_a_child_told_by_its_age_now_and_asked_about_again_is_a_question(text):
    assert age_category(text) == "none"


@pytest.mark.parametrize("text", [
    "he had a fit once as a baby and now he is having one again, will it happen again",
    "she stopped breathing once, she is 3 weeks and is not breathing now, could it happen again",
])
def test_a_sign_going_on_now_beside_an_age_stays_999(text):
    assert age_category(text) == "emergency"


@pytest.mark.parametrize("text", ["watched a clip and my baby had a fit",
                                  "we were watching the news and our baby went blue"])
def test_the_speakers_own_baby_after_a_screen_is_her_own_for_both_layers(text):
    assert sign_category(text) == "emergency"
    assert sign_category(text, model("risk_emergency", 0.9)) == "emergency"


# Probes after development set 53: a question about babies in general, a parent's own childhood sign
@pytest.mark.parametrize("text", ["how come newborns stop breathing for a bit when asleep",
                                  "why do children go floppy when they have a temperature"])
def test_a_sign_asked_about_babies_in_general_is_a_question(text):
    assert (sign_category(text) if "floppy" in text else age_category(text)) == "none"


@pytest.mark.parametrize("text", ["do babies get colic? my baby has stopped breathing",
                                  "why do babies stop breathing, mine is not breathing",
                                  "do babies go floppy, the baby has gone floppy"])
def test_a_general_question_beside_the_parents_own_baby_stays_999(text):
    assert (sign_category(text) if "floppy" in text else age_category(text)) == "emergency"


def test_a_parents_own_childhood_sign_asked_about_is_a_question_but_a_babys_is_not():
    assert age_category("i had a fit as a child with a fever, does it mean my son will too") == "none"
    assert age_category("he had a fit, does that mean epilepsy") == "emergency"
