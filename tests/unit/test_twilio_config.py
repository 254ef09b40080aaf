"""Twilio settings: a live channel needs its account and public address; numbers are checked."""
from __future__ import annotations

import pytest

from bot.config import load_settings

LIVE = {"TWILIO_AUTH_TOKEN": "t", "TWILIO_ACCOUNT_SID": "AC123", "PUBLIC_URL": "https://bot.example.org/"}


def test_without_an_auth_token_the_channel_needs_nothing_else():
    settings = load_settings({})
    assert settings.twilio_auth_token is None and settings.public_url is None


def test_a_live_channel_reads_every_setting_and_normalises_the_whatsapp_number():
    settings = load_settings({**LIVE, "TWILIO_SMS_FROM": "+44 7700 900900",
                              "TWILIO_WHATSAPP_FROM": "+14155238886", "TWILIO_API_BASE": "http://127.0.0.1:9/"})
    assert settings.public_url == "https://bot.example.org"
    assert settings.twilio_sms_from == "+447700900900"
    assert settings.twilio_whatsapp_from == "whatsapp:+14155238886"
    assert settings.twilio_api_base == "http://127.0.0.1:9"


@pytest.mark.parametrize("missing,message", [("PUBLIC_URL", "PUBLIC_URL"), ("TWILIO_ACCOUNT_SID", "TWILIO_ACCOUNT_SID")])
def test_an_auth_token_without_its_account_or_public_url_is_a_clear_error(missing, message):
    with pytest.raises(ValueError, match=message):
        load_settings({k: v for k, v in LIVE.items() if k != missing})


@pytest.mark.parametrize("name,value", [("TWILIO_SMS_FROM", "07700900900"), ("PUBLIC_URL", "bot.example.org"),
                                        ("PUBLIC_URL", "https://bot.example.org/?x=1"),
                                        ("TWILIO_WHATSAPP_FROM", "whatsapp:07700")])
def test_a_malformed_number_or_address_is_a_clear_error(name, value):
    with pytest.raises(ValueError, match=name):
        load_settings({**LIVE, name: value})
