from bot.channels import sms


def test_plain_ascii_is_gsm7_and_fits_one_segment_up_to_160():
    assert sms.measure("a" * 160) == sms.SmsLength("GSM-7", 160, 1)
    assert sms.measure("a" * 161).segments == 2


def test_three_gsm7_segments_carry_459_characters():
    assert sms.max_length("GSM-7") == 459
    assert sms.measure("a" * 459).segments == 3
    assert sms.measure("a" * 460).segments == 4


def test_extension_characters_cost_two_septets():
    assert sms.measure("[]").units == 4
    assert sms.measure("€").encoding == "GSM-7"


def test_one_curly_apostrophe_forces_ucs2_and_cuts_three_segments_to_201():
    text = "Don’t" + "a" * 196
    assert sms.measure(text).encoding == "UCS-2"
    assert sms.max_length("UCS-2") == 201
    assert sms.measure(text).segments == 3
    assert sms.measure(text + "a").segments == 4


def test_degree_sign_is_not_gsm7():
    assert not sms.is_gsm7("16-20°C")


def test_emoji_counts_as_two_ucs2_units():
    assert sms.measure("👶").units == 2
