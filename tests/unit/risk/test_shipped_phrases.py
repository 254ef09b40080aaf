"""Safety cases the shipped phrase list (data/risk/phrases.yml) must keep, read by the real matcher:
a threat to hurt a baby and an emergency happening now are never silenced."""
from pathlib import Path

import pytest

from bot.risk import phrases
from bot.risk.detector import assess
from bot.risk.matcher import UNSEEN_HARMS

PROJECT_ROOT = Path(__file__).resolve().parents[3]
SHIPPED = phrases.load(PROJECT_ROOT / "data/risk/phrases.yml")


def category(text: str) -> str:
    """The phrase layer's verdict alone (no model ranking), with the live thresholds' shape."""
    return assess(text, [], SHIPPED, 0.5, 0.35).category


@pytest.mark.parametrize("text", ["im scared and ill hurt him", "so angry and ill shake her",
                                  "im so scared an ill kill him", "so angry i will shake her"])
def test_a_threat_to_hurt_the_baby_is_child_neglect_however_ill_is_typed(text):
    assert category(text) == "child_neglect"


def test_so_angry_i_could_shake_her_said_of_a_grown_up_is_no_threat():
    assert category("im so angry at my sister i could shake her") == "none"


@pytest.mark.parametrize("text", ["shes gone floppy and limp, the nurse said it was normal",
                                  "my baby stopped breathing for a bit, doctor said it is normal"])
def test_an_emergency_happening_now_is_999_whatever_a_professional_said(text):
    assert category(text) == "emergency"


def test_an_emergency_sign_past_and_over_that_a_doctor_called_normal_is_not_one():
    assert category("he went blue last week, the doctor said that is normal") == "none"


@pytest.mark.parametrize("text", [
    "the skin under her ribs goes in every time she breathes",
    "hes gone white and limp",
    "fell out of his cot and now theres a dent on his head",
    "had her on my own in the bathroom an hour ago, the afterbirth still has not come out",
    "is it bad if she keeps twitching and then goes floppy",
    "doing the back blows now and nothing is coming out",
    "the lid was off my methadone and the bottle is open and empty",
    "he went stiff and his arms are jerking",
])
def test_emergency_signs_told_in_plain_words_or_by_the_first_aid_being_done_are_999(text):
    assert category(text) == "emergency"


@pytest.mark.parametrize("text", ["its coming right now and nobody knows im even pregnant",
                                  "been bleeding heavily all morning, nobody knows i am pregnant",
                                  "really bad cramps at 36 weeks and i have not told anyone im pregnant"])
def test_labour_or_heavy_bleeding_in_a_pregnancy_nobody_knows_about_is_999(text):
    assert category(text) == "emergency"


def test_a_knock_to_the_head_is_an_emergency_only_with_a_sign_after_it():
    assert category("banged her head on the radiator and now she keeps falling asleep on me") == "emergency"
    assert category("he hit his head on the floor and hes not waking properly") == "emergency"
    assert category("bumped his head on the high chair, cried a bit, now back to playing") == "none"


@pytest.mark.parametrize("text", ["my dad snores that loud he stops breathing for ages lol",
                                  "my husband burnt his thumb on the grill pan, what do i put on it",
                                  "set the smoke alarm off with burnt toast again, baby never even woke"])
def test_a_grown_ups_snoring_or_burn_and_burnt_food_are_no_emergency(text):
    assert category(text) == "none"


def test_a_threat_to_burn_the_house_down_is_abuse_not_a_burn():
    assert category("he says hell burn the house down with me and the baby in it") == "domestic_abuse"


def test_gasping_is_an_emergency_but_gasping_for_a_cuppa_is_not():
    assert category("he is sort of gasping and hes gone quiet") == "emergency"
    assert category("up all night, gasping for a brew now lol") == "none"


def test_another_fit_typed_as_it_sounds_is_an_emergency():
    assert category("shes havin anotha fit, she wont come round") == "emergency"


def test_a_face_or_lips_swelling_with_wheezing_or_after_a_food_is_999():
    assert category("his lips are swollen and hes wheezy after the egg") == "emergency"


@pytest.mark.parametrize("text", ["swallowed a 5p last week, xray showed it passed, all good now",
                                  "bumped his head on the step sunday, small lump, totally himself since",
                                  "banged his head on the table, lump, dr checked him, no concussion"])
def test_a_sign_told_as_over_and_checked_is_no_emergency(text):
    assert category(text) == "none"


def test_its_coming_up_to_a_time_is_no_birth():
    assert category("its coming up to 3am and im on my own with him again") == "none"


@pytest.mark.parametrize("text", ["his lips have gone blue and he is very quiet, he was fine an hour ago",
                                  "his ribs are sucking in with every breath, he was fine at bedtime"])
def test_was_fine_an_hour_ago_tells_how_the_baby_was_before_not_that_it_is_over(text):
    assert category(text) == "emergency"


@pytest.mark.parametrize("text", [
    "what are the signs that a baby is not breathing properly",
    "she choked on some apple last week but coughed it out and has been fine since",
    "his feet go blotchy and mottled in the cold but it goes away when he warms up",
    "what does it mean if a baby goes floppy after a feed",
])
def test_signs_asked_about_or_over_are_not_emergencies(text):
    assert category(text) == "none"


@pytest.mark.parametrize("text", [
    "he's limp as a noodle when he dozes on me, so cute",
    "the baby monitor died in the night, can i use an app",
    "my baby died laughing at the cat",
    "she is so relaxed after her bath, pregnant with number two and loving it",
    "stop sharing my stuff",
    "her lips are blue from the blueberries",
    "she is having a fit of giggles at the dog",
    "so floppy after his feed, milk drunk",
    "i hid my bump from work until 20 weeks, do i have to tell them now",
])
def test_sayings_and_words_that_look_like_a_risk_word_are_not_risks(text):
    assert category(text) == "none"


def test_a_babys_dad_who_punched_her_is_still_abuse():
    assert category("my baby's dad punched me again last night") == "domestic_abuse"


def test_a_sign_told_as_over_once_home_from_hospital_is_not_an_emergency():
    assert category("his ribs were pulling in last night, a&e said bronchiolitis, home now and much better") == "none"


@pytest.mark.parametrize("text", [
    "she drank a whole bottle of nurofen",
    "he drank my methadone off the side",
    "my daughter ate some of her sisters adhd tablets",
    "found him chewing on a nicotine patch hes being sick",
    "the fit started ages ago and its still going",
    "he pulled a hot pan off the hob all over himself",
    "i cant stop the bleeding after the baby came",
    "the sensor mat went off and his breathing stopped",
    "my contractions started and i hid my pregnancy from everyone",
    "shes mottled and she goes limp when i warm her up",
])
def test_swallowed_medicines_fits_still_going_scalds_and_bleeding_after_birth_are_999(text):
    assert category(text) == "emergency"


@pytest.mark.parametrize("text", [
    "he is snotty but not struggling to breathe",
    "how hot should the bath be so it does not burn her",
    "the fitted sheet will not stop slipping off the mattress",
])
def test_reassurances_and_look_alike_words_are_no_emergency(text):
    assert category(text) == "none"


@pytest.mark.parametrize("text, expected", [
    ("cos she just did and shes still a bit blue", "emergency"),
    ("his lips are still a bit grey", "emergency"),
    ("he is still in his blue babygrow", "none"),
    ("she is still feeling a bit blue since the birth", "none"),
])
def test_a_baby_still_blue_is_999_but_blue_clothes_or_a_low_mood_are_not(text, expected):
    assert category(text) == expected


@pytest.mark.parametrize("text", ["hes gone bue", "baby gone lmp", "hesblue", "shes gonegrey"])
def test_a_dropped_letter_or_a_lost_space_no_longer_hides_an_emergency(text):
    assert category(text) == "emergency"


def test_real_words_british_spellings_included_are_never_repaired_into_risk_words():
    assert category("baby gone lmp") == "emergency"
    assert category("his lip is so chapped") == "none"  # "lip" is no "limp"
    # "odour" is in no American list; split, it read "od our" (an overdose, self-harm)
    assert category("the odour from his nappy, is it normal? hes fine otherwise") == "none"


def test_words_of_uk_care_missing_from_both_word_lists_are_never_read_apart():
    # split, "my keyworker" read "my key worker", near enough "takes my keys" (coercive control)
    assert category("on a methadone programme and pregnant, my keyworker says keep taking it") == "none"


@pytest.mark.parametrize("text, expected", [
    ("im pushing and i cant stop, please help", "emergency"),
    ("pushing now, cant stop it", "emergency"),
    ("my toddler keeps pushing and i cant stop him", "none"),
    ("what does it feel like when youre pushing and cant stop", "none"),
    ("i keep pushing people away and cant stop", "none"),
])
def test_pushing_that_cannot_be_held_back_is_999_but_a_toddler_or_a_question_is_not(text, expected):
    assert category(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("34 weeks, bleeding and my bump has gone rock hard", "emergency"),
    ("im 28 weeks pregnant with a constant pain and some blood", "emergency"),
    ("35 weeks, bump goes rock hard then soft again, braxton hicks? and a spot of blood", "none"),
    ("6 weeks after the birth, still bleeding and the pain wont stop", "none"),
])
def test_bleeding_late_in_pregnancy_with_a_rock_hard_bump_or_constant_pain_is_999(text, expected):
    assert category(text) == expected


@pytest.mark.parametrize("text", ["he found my diazepam and had some, he is really drowsy",
                                  "she found my sleeping pills and had some, shes gone sleepy"])
def test_a_baby_drowsy_after_getting_at_a_drug_is_999(text):
    assert category(text) == "emergency"


@pytest.mark.parametrize("text", ["i had some methadone this morning and he is sleepy, is it ok to breastfeed",
                                  "she had some calpol and is sleepy now"])
def test_a_parents_own_dose_or_a_babys_calpol_beside_a_sleepy_baby_is_no_emergency(text):
    assert category(text) != "emergency"


def test_a_baby_cold_or_too_quiet_who_has_not_fed_for_a_day_is_999_not_only_neglect():
    assert category("he is really quiet and cold and has not fed all day") == "emergency"
    assert category("hes got a cold and not fed since yesterday") == "child_neglect"


@pytest.mark.parametrize("text", ["on the phone to 999 they said keep him on his side what do i do while i wait",
                                  "999 said to keep her on her side, what else can i do",
                                  "waiting for the ambulance, what do i do till it gets here",
                                  "the paramedics are on their way"])
def test_a_999_call_or_an_ambulance_already_under_way_is_an_emergency_without_a_sign(text):
    assert category(text) == "emergency"


def test_asking_when_to_call_999_is_no_call_under_way():
    assert category("when should i call 999 for a temperature") == "none"


@pytest.mark.parametrize("text", ["he fell out the upstairs window onto the patio",
                                  "she fell out of the bedroom window", "my son fell off the balcony"])
def test_a_baby_fallen_from_a_window_or_balcony_is_999_without_a_sign_after(text):
    assert category(text) == "emergency"


@pytest.mark.parametrize("text", ["his dummy fell out of the window", "he nearly fell out of the window",
                                  "she fell asleep looking out the window"])
def test_a_thing_fallen_from_a_window_or_a_baby_nearly_fallen_is_no_emergency(text):
    assert category(text) == "none"


@pytest.mark.parametrize("text", [
    "no rise and fall in his chest",
    "her chest is completely still and shes a strange colour",
    "he got tangled in the cord of the monitor and its round his neck",
    "found her face down in the paddling pool",
    "high pitched cry and the soft spot on his head is bulging and he wont feed",
    "spots that wont go when i roll a glass over them and hes burning up",
    "no wet nappy since yesterday morning and his soft spot is sunken and hes so sleepy",
    "she's silent and clawing at her throat",
    "something's stuck she cant cry or cough just waving her arms",
    "cut his hand on a knife and its spurting blood",
    "her finger got trapped in the door and its hanging off",
    "the dog bit her face theres loads of blood and a big gash",
])
def test_emergency_signs_the_model_alone_caught_are_named_by_the_phrase_layer_too(text):
    assert category(text) == "emergency"


@pytest.mark.parametrize("text", ["been getting pains all night every couple of minutes and nobody in this house knows im pregnant",
                                  "the baby just slid out in the shower and im on my own",
                                  "my daughter is in labour and nobody in this house knows"])
def test_labour_told_by_its_pace_or_a_birth_nobody_knew_of_is_999(text):
    assert category(text) == "emergency"


def test_noone_typed_for_no_one_is_still_read_apart_beside_a_labour():
    """A phrase word within a slip of "noone" ("none") would keep it from being read as "no one"."""
    assert category("i can see the head and theres noone here") == "emergency"


@pytest.mark.parametrize("text", [
    "his chest is still a bit wheezy",
    "is it safe to have an amber necklace round her neck",
    "he loves lying face down in the bath kicking",
    "her soft spot bulges when she cries, is that normal",
    "the spots faded when i did the glass test",
    "she had a dry nappy this morning but fed well",
    "his tooth is hanging off a thread lol",
    "the dog bit his toy",
    "i watched one born every minute on my own last night",
    "my cousin didnt know she was pregnant until she went into labour, how is that even possible",
])
def test_look_alikes_of_the_signs_the_model_alone_caught_are_no_emergency(text):
    assert category(text) == "none"


@pytest.mark.parametrize("text", ["gave birth on my own just now, bleeding loads",
                                  "just had the baby in the bathroom nobody else here",
                                  "found her with the blanket over her face she is limp",
                                  "the baby is so sleepy i cant get him to open his eyes at all",
                                  "i think i gave him a double dose of calpol and hes really drowsy"])
def test_a_birth_alone_a_covered_face_eyes_that_will_not_open_or_a_medicine_overdose_with_a_sign_is_999(text):
    assert category(text) == "emergency"


@pytest.mark.parametrize("text", ["binged last night while i had the baby on my own",
                                  "read a news story about a girl who gave birth alone, so sad",
                                  "i gave birth on my own 3 years ago and it was fine",
                                  "had the baby in the bathroom at the birth centre with the midwife",
                                  "can i put a blanket over his face in the pram for shade? he gets pale in the sun",
                                  "gave her calpol instead of nurofen and she is sleepy now",
                                  "i can not get him to open his mouth for the spoon"])
def test_minding_a_baby_alone_a_birth_long_past_or_attended_shade_or_the_other_medicine_is_no_emergency(text):
    assert category(text) == "none"


@pytest.mark.parametrize("text", ["drunk and cosleeping tonight, don't judge", "on tramadol and cosleeping tonight"])
def test_words_run_together_are_read_apart_rather_than_as_two_slips_of_another_word(text):
    assert category(text) == "unsafe_sleep"  # "cosleeping" is "co sleeping", not two slips from "asleep"


@pytest.mark.parametrize("text, expected", [
    ("shes pausing between breaths", "emergency"),
    ("long gaps between breaths and he is so pale", "emergency"),
    ("she does little pausing between breaths when asleep, hv said its periodic breathing", "none"),
    ("pausing between breaths for a few seconds then carries on, is that normal", "none"),
])
def test_pauses_between_breaths_told_plainly_are_999_but_periodic_breathing_is_not(text, expected):
    assert category(text) == expected


@pytest.mark.parametrize("text", [
    "he sleeps all day and is up all night, how do i sort his day night confusion",  # read as "convulsion"
    "burnt my own hand on the kettle, still managed his bottle, just moaning",  # "still" read as "spilled"
])
def test_real_words_are_not_bent_into_risk_words_that_differ_by_a_consonant(text):
    assert category(text) == "none"


@pytest.mark.parametrize("text", [
    "dozed off in the armchair with him on me and when i woke he was slumped over and cold",
    "we fell asleep with her in our bed, woke up and shes gone really pale",
    "nodded off on the couch with my son on my chest, woke and he looks so pale",
    "i woke up and she was trapped under the duvet, cold to touch",
])
def test_a_baby_found_with_a_sign_after_an_adult_slept_beside_them_is_999_not_unsafe_sleep(text):
    assert category(text) == "emergency"


@pytest.mark.parametrize("text", [
    "my boyfriend slept on baby last night, baby no breathing good",
    "dad rolled on him in the bed, now he no move",
    "her lips look dark and she is stuck between the cot and the mattress",
    "found her under the duvet in our bed, so cold",
    "pls my baby no respond",
])
def test_overlaying_or_entrapment_told_in_broken_english_with_a_sign_is_999(text):
    assert category(text) == "emergency"


@pytest.mark.parametrize("text", [
    "fell asleep on the sofa with her on my chest last night",
    "nodded off in the chair and woke with her slumped on me",
    "she rolled on her side in the cot and looks pale, is she ok",
    "baby has no breathing problems, just a snuffly nose",
    "he has no wake windows at all, how long should they be",
])
def test_sofa_sharing_without_a_sign_a_baby_rolled_on_her_side_or_no_problems_is_no_emergency(text):
    assert category(text) != "emergency"


@pytest.mark.parametrize("text", [
    "i never told anyone i am pregnant and the contractions are every few minutes",
    "too scared to tell my mum about the baby and now my waters broke",
    "bleeding heavily and cramping, i never told anyone i was pregnant",
])
def test_labour_in_a_pregnancy_never_told_for_fear_is_999(text):
    assert category(text) == "emergency"


@pytest.mark.parametrize("text", ["baby blue is my favourite colour for her cardigans",
                                  "boiling water from the kettle nearly scalded me, the baby was asleep upstairs",
                                  "dropped my tea and burnt me, babys fine in her bouncer"])
def test_baby_blue_told_as_a_colour_or_a_grown_up_nearly_scalded_is_no_emergency(text):
    assert category(text) == "none"


@pytest.mark.parametrize("text", ["my baby is blue", "the hot tea scalded her arm, its blistering"])
def test_a_blue_baby_or_a_scalded_one_is_still_999(text):
    assert category(text) == "emergency"


@pytest.mark.parametrize("text", ["my son has swallowed a needle", "she swallowed an earring back",
                                  "he ate a bit of glass off the floor"])
def test_a_baby_who_swallowed_something_sharp_is_999(text):
    assert category(text) == "emergency"


def test_drinking_from_a_glass_is_no_swallowed_object():
    assert category("she drank from a glass for the first time today") == "none"


@pytest.mark.parametrize("text", ["our dog went for my daughter and theres bite marks on her cheek",
                                  "the dog grabbed him by the leg, bleeding badly"])
def test_a_dog_that_attacked_or_went_for_the_baby_leaving_wounds_is_999(text):
    assert category(text) == "emergency"


def test_a_hair_wound_tight_round_a_toe_with_swelling_is_999():
    assert category("found a hair wrapped round her little toe, its swollen") == "emergency"


def test_a_hair_round_a_toe_without_swelling_is_no_emergency():
    assert category("there was a hair wrapped round his toe, i took it off") == "none"


@pytest.mark.parametrize("text", ["his leg is bent the wrong way after he fell",
                                  "think her wrist is broken, she wont stop screaming"])
def test_a_babys_limb_told_as_broken_or_bent_wrong_is_999(text):
    assert category(text) == "emergency"


def test_the_speakers_own_broken_wrist_is_no_baby_emergency():
    assert category("my wrist is broken, can i still lift the baby safely") == "none"


def test_pushing_me_over_the_edge_is_a_saying_not_abuse():
    assert category("these night feeds are pushing me over the edge") == "none"


def test_booking_a_midwife_so_a_partner_will_not_find_out_is_a_concealed_pregnancy():
    assert category("i want to see a midwife without my husband finding out im pregnant") == "concealed_pregnancy"


def test_a_pregnancy_surprise_kept_from_a_partner_is_not_concealed():
    assert category("how do i plan a pregnancy announcement without my partner finding out first") == "none"


@pytest.mark.parametrize("text", ["i was so drunk when i was holding her last night",
                                  "got high and then fed him his bottle"])
def test_a_parent_drunk_or_high_while_feeding_or_holding_the_baby_is_substance_use(text):
    assert category(text) == "substance_use"


@pytest.mark.parametrize("text", ["left him asleep at home and popped to the shops",
                                  "i left her asleep at home to nip to the co op"])
def test_a_baby_left_asleep_at_home_while_a_parent_goes_out_is_neglect(text):
    assert category(text) == "child_neglect"


@pytest.mark.parametrize("text", ["he pinned me against the door and screamed in my face",
                                  "my partner held me up against the wall last night"])
def test_a_parent_held_against_a_wall_and_screamed_at_is_abuse_not_neglect(text):
    assert category(text) == "domestic_abuse"


def test_screaming_in_the_babys_face_is_still_neglect():
    assert category("i screamed in her face when she wouldnt stop crying") == "child_neglect"


@pytest.mark.parametrize("text", ["shes not moved since yesterday and the scan confirmed there is no heartbeat",
                                  "baby not moving at all, the doctor couldnt find the heartbeat and they said shes gone"])
def test_a_baby_not_moving_in_the_womb_whose_loss_a_professional_confirmed_is_a_loss(text):
    assert category(text) == "baby_loss"


@pytest.mark.parametrize("text", ["my newborn is not moving and i cant find a heartbeat",
                                  "baby hasnt moved all day, im 34 weeks"])
def test_a_baby_not_moving_with_no_loss_confirmed_by_a_professional_is_still_999(text):
    assert category(text) == "emergency"


@pytest.mark.parametrize("text", ["she fell off the sofa and didnt even cry, just laughing",
                                  "he banged his head on the table, did not even cry and carried on playing"])
def test_a_knock_the_baby_did_not_even_cry_at_then_played_or_laughed_is_no_emergency(text):
    assert category(text) == "none"


@pytest.mark.parametrize("text", ["fell down the stairs and didnt even cry, just lying there",
                                  "bumped his head, didnt even cry, carried on playing but hes been sick twice",
                                  "hit her head on the floor, not even crying, not playing or smiling"])
def test_a_knock_not_cried_at_with_another_sign_or_no_well_sign_is_still_999(text):
    assert category(text) == "emergency"


@pytest.mark.parametrize("text", ["keeping this pregnancy secret until our first scan then telling family",
                                  "not told anyone were expecting, waiting until after the 12 week scan"])
def test_a_pregnancy_kept_quiet_only_until_the_12_week_or_first_scan_is_not_concealed(text):
    assert category(text) == "none"


def test_a_pregnancy_kept_secret_until_the_birth_is_still_concealed():
    assert category("keeping the pregnancy secret til its born, nobody knows") == "concealed_pregnancy"


@pytest.mark.parametrize("text", ["honestly wanted to die of shame when he screamed in the supermarket",
                                  "i could kill myself for leaving her bag on the bus"])
def test_dying_of_embarrassment_or_could_kill_myself_for_a_slip_is_a_saying(text):
    assert category(text) == "none"


@pytest.mark.parametrize("text", ["i could kill myself, i cant do this anymore", "i want to die",
                                  "i want to kill myself for being such a useless mum"])
def test_wanting_to_die_or_to_kill_myself_is_still_self_harm(text):
    assert category(text) == "self_harm"


@pytest.mark.parametrize("text", [
    "he swallowed a battery but he is fine",
    "swallowed a buton battery but seems fine",
    "i think she ate one of the little batteries from the remote shes playing normaly",
    "he swallowed 2 magnets from his sisters toy hes ok tho",
    "think she swallowed a magnet off the fridge but shes fine now",
    "might have swallowed a watch battery, he seems absolutely fine",
    "my lo swalowed a batery out of his toy car, hes back to normal",
    "she swallowed a coin battery, i checked her and shes all good",
    "he swallowed a magnet but was fine after, is that ok",
    "cant find the battery from the remote and he had it, hes fine tho",
    "swallowed some magnetic balls off his brothers desk but hes fine",
])
def test_a_swallowed_button_battery_or_magnet_is_999_however_well_the_child_seems(text):
    assert category(text) == "emergency"


@pytest.mark.parametrize("text", [
    "last year he swallowed a magnet, they removed it",
    "he swallowed a button battery last year but the hospital checked him and hes fine now",
    "she swallowed a magnet a few years ago, had an operation and is fine",
])
def test_a_battery_or_magnet_swallowed_in_the_past_and_dealt_with_is_no_emergency(text):
    assert category(text) == "none"


@pytest.mark.parametrize("text", [
    "what do i do if he swallows a battery",
    "how do i keep button batteries away from her",
    "how do i tell if she has swallowed a battery",
])
def test_asking_what_to_do_if_a_battery_or_magnet_is_swallowed_or_how_to_prevent_it_is_no_emergency(text):
    assert category(text) == "none"


@pytest.mark.parametrize("text", [
    "he swallowed a grape whole but hes fine",
    "she ate a bit of paper but she is fine",
    "swallowed a bit of apple skin and coughed but seems ok",
])
def test_swallowed_food_or_paper_told_as_fine_is_no_emergency(text):
    assert category(text) == "none"


@pytest.mark.parametrize("text", [
    "my sisters boy swallowed a button battery years ago and hes fine",
    "my friends baby swallowed a magnet a few years ago, she is absolutely fine now",
])
def test_another_persons_child_who_swallowed_a_battery_or_magnet_years_ago_is_no_emergency(text):
    assert category(text) == "none"


@pytest.mark.parametrize("text", ["cant find the batteries for the baby monitor anywhere",
                                  "cant find the tv remote, he was playing with it earlier"])
def test_a_battery_or_remote_merely_lost_is_no_emergency(text):
    assert category(text) == "none"


def test_every_thing_whose_harm_goes_unseen_is_a_word_of_the_shipped_list():
    """The matcher knows a battery or magnet only as a word of the list a match found."""
    listed = {w for entry in SHIPPED.entries for group in entry.groups for phrase in group for w in phrase}
    assert UNSEEN_HARMS <= listed


# Phrases -30 (development set 53's misses, as classes; written in other words)
@pytest.mark.parametrize("text", [
    "she will not wake properly this morning, just moans",
    "i cant keep him awake today, he keeps nodding off mid feed",
    "nana here, the little one has turned a strange colour in his cot",
    "shes going an odd colour and breathing really fast",
    "her lips look a weird colour and she is panting",
    "son just flops in my arms like he has no bones",
    "when i sit her up her legs just flop and she makes no noise",
])
def test_a_baby_who_wakes_only_partly_flops_or_turns_a_colour_the_parent_cannot_name_is_999(text):
    assert category(text) == "emergency"


@pytest.mark.parametrize("text", [
    "his poo has gone a funny colour since we started formula",
    "the bruise on my leg went a weird colour",
    "he flips when i take his bottle away",
    "her arms flap about when she gets excited",
])
def test_a_nappys_or_a_bruises_colour_and_flipping_or_flapping_are_no_emergency(text):
    assert category(text) == "none"


@pytest.mark.parametrize("text", [
    "the door swung and his head smacked the radiator, now he has a glazed look",
    "she slid off the bed and her head hit the tiles, she keeps staring into space",
    "my partner shoved the high chair and his head hit the wall, hes gone vacant",
])
def test_a_head_that_hit_something_then_a_blank_stare_is_999_whatever_else_is_told(text):
    assert category(text) == "emergency"


@pytest.mark.parametrize("text", [
    "my husband yanks me by my hair when he has been drinking",
    "he pulls me by my neck when im holding the baby",
    "boyfriend grabs me by the neck if i answer back",
])
def test_being_grabbed_or_yanked_by_the_hair_throat_or_neck_is_domestic_abuse(text):
    assert category(text) == "domestic_abuse"


def test_a_toddler_grabbing_by_the_hair_is_no_abuse():
    assert category("my toddler grabs me by the hair when hes overtired lol") == "none"


@pytest.mark.parametrize("text", [
    "keeping the pregnancy quiet, if my stepdad found out he would kill me",
    "only i know im pregnant, if my parents knew hed kill me",
    "wearing oversized hoodies so no one sees, im 7 months",
])
def test_a_hidden_pregnancy_feared_from_a_parent_finding_out_is_a_concealed_pregnancy_not_abuse(text):
    assert category(text) == "concealed_pregnancy"


@pytest.mark.parametrize("text", ["my partner said he would kill me if i told anyone, im 20 weeks pregnant",
                                  "if i leave he will kill me, nobody knows im pregnant"])
def test_a_partners_threat_to_kill_stays_domestic_abuse_beside_a_pregnancy(text):
    assert category(text) == "domestic_abuse"


# Phrases -31 (probes written after development set 53, in the classes of its emergencies)
@pytest.mark.parametrize("text", [
    "theres an egg on his head from the coffee table and he is so sleepy",
    "theres a dent in her head from the door and she keeps being sick",
    "her leg looks bent and she screams when i change her nappy",
    "his elbow looks wrong and he screams when i lift him",
    "hes hard to wake and very pale after his nap",
    "difficult to rouse him and he has a fever",
])
def test_a_head_lump_with_a_sign_a_limb_that_looks_wrong_and_hurts_or_a_baby_hard_to_wake_and_unwell_is_999(text):
    assert category(text) == "emergency"


@pytest.mark.parametrize("text", [
    "his arm is swollen from the jab and he screams when i touch it",
    "our boy is so hard to wake up for school",
])
def test_a_sore_jab_or_a_child_slow_to_wake_for_school_is_no_emergency(text):
    assert category(text) == "none"


def test_a_little_ones_headbutt_is_no_abuse_but_a_partners_is():
    assert category("the toddler headbutted me by accident and my nose bled") == "none"
    assert category("my boyfriend headbutted me and split my lip") == "domestic_abuse"


@pytest.mark.parametrize("text", ["he wriggled off the changing table and landed on the back of his head, now very sleepy",
                                  "slipped out of my arms and landed on her head on the path, she has been sick"])
def test_a_baby_who_landed_on_the_head_with_a_sign_after_is_999(text):
    assert category(text) == "emergency"


# Phrases -33 and the little one's own blow (probes after development set 53)
@pytest.mark.parametrize("text", ["the toddler keeps hitting me at bedtime, is it a phase",
                                  "my 3 year old punched me in the nose by accident",
                                  "my husband went blue in the face shouting at the football"])
def test_a_little_ones_blow_or_a_face_blue_from_shouting_is_no_risk(text):
    assert category(text) == "none"


@pytest.mark.parametrize("text, expected", [
    ("my babys dad keeps hitting me", "domestic_abuse"),
    ("my son keeps hitting me, he is 16 and i am scared of him", "domestic_abuse"),
    ("he locked me in the car with the baby as a punishment", "domestic_abuse"),
    ("she went blue in the face and is not breathing", "emergency"),
    ("went blue in the face from screaming and now he is floppy", "emergency"),
])
def test_a_grown_ups_blow_or_a_babys_blue_face_with_another_sign_stays_a_risk(text, expected):
    assert category(text) == expected
