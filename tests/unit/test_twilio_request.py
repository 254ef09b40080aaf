"""The signature check, with the real twilio RequestValidator: genuine requests pass, any change fails.

Requests are built the way Twilio builds them (a form body, signed over PUBLIC_URL plus every
parameter) and then mutated by hypothesis; each mutation must be refused, and every genuine
request (media-only, blank values, emoji, 1,600 characters) accepted.
"""
from __future__ import annotations

from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from bot.channels.twilio_request import (
    MalformedRequest,
    arrival_from,
    is_genuine,
    parse_form,
    signed_url,
)
from bot.db.messaging import Channel

TOKEN = "test-auth-token-0123456789abcdef"
PUBLIC_URL = "https://bot.example.org"
PATH = "/webhooks/twilio/webhook"
VALIDATOR = RequestValidator(TOKEN)

texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=1600)
names = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12)


@st.composite
def twilio_forms(draw) -> dict:
    """What Twilio posts for an SMS or WhatsApp message: text, media-only, or a location."""
    prefix = draw(st.sampled_from(["", "whatsapp:"]))
    form = {
        "MessageSid": "SM" + draw(st.text("0123456789abcdef", min_size=32, max_size=32)),
        "AccountSid": "AC" + "1" * 32,
        "From": prefix + "+4477009" + draw(st.text("0123456789", min_size=5, max_size=5)),
        "To": prefix + "+447700900900",
        "Body": draw(texts),
        "NumMedia": "0",
        "NumSegments": "1",
    }
    shape = draw(st.sampled_from(["text", "media", "location"]))
    if shape == "media":
        form.update(Body="", NumMedia="1", MediaUrl0="https://api.twilio.com/media/ME1",
                    MediaContentType0="image/jpeg")
    elif shape == "location":
        form.update(Body="", Latitude="51.5", Longitude="-0.12")
    form.update(draw(st.dictionaries(names.map(lambda n: "X" + n), st.text(max_size=20), max_size=3)))
    return form


def sign(url: str, form: dict) -> str:
    return VALIDATOR.compute_signature(url, form)


def accepted(form_body: bytes, url_seen: str, signature: str) -> bool:
    return is_genuine(VALIDATOR, url_seen, parse_form(form_body), signature)


URL = signed_url(PUBLIC_URL, PATH, "")


@settings(max_examples=300, deadline=None)
@given(twilio_forms())
def test_every_genuine_request_is_accepted(form):
    assert accepted(urlencode(form).encode(), URL, sign(URL, form))


@settings(max_examples=300, deadline=None)
@given(twilio_forms(), st.data())
def test_a_changed_added_or_removed_parameter_is_rejected(form, data):
    signature = sign(URL, form)
    tampered = dict(form)
    change = data.draw(st.sampled_from(["change", "add", "remove", "blank"]))
    key = data.draw(st.sampled_from(sorted(form)))
    if change == "change":
        tampered[key] = data.draw(texts.filter(lambda v: v != form[key]))
    elif change == "add":
        tampered[data.draw(names.filter(lambda n: n not in form))] = data.draw(st.text(max_size=20))
    elif change == "remove":
        del tampered[key]
    else:
        if form[key] == "":
            del tampered[key]  # removing a blank parameter is a change too
        else:
            tampered[key] = ""
    assert not accepted(urlencode(tampered).encode(), URL, signature)


@settings(max_examples=200, deadline=None)
@given(twilio_forms(), st.sampled_from([
    "http://bot.example.org",          # scheme
    "https://evil.example.org",        # host
    "https://bot.example.org:8443",    # port
    "https://bot.example.org/other",   # path prefix
]), st.sampled_from(["", "a=1"]))
def test_a_signature_for_another_url_is_rejected(form, signed_base, query):
    signature = sign(signed_url(signed_base, PATH, query), form)
    assert not accepted(urlencode(form).encode(), URL, signature)


@settings(max_examples=200, deadline=None)
@given(twilio_forms(), st.sampled_from(["a=1", "a=2&b=", "bodySHA256=x"]))
def test_a_signature_without_the_query_the_request_came_with_is_rejected(form, query):
    signature = sign(URL, form)
    assert not accepted(urlencode(form).encode(), signed_url(PUBLIC_URL, PATH, query), signature)


@settings(max_examples=200, deadline=None)
@given(twilio_forms(), st.data())
def test_a_truncated_or_missing_signature_is_rejected(form, data):
    signature = sign(URL, form)
    cut = data.draw(st.integers(min_value=0, max_value=len(signature) - 1))
    assert not accepted(urlencode(form).encode(), URL, signature[:cut])
    assert not is_genuine(VALIDATOR, URL, parse_form(urlencode(form).encode()), None)


def test_a_signature_made_with_another_token_is_rejected():
    form = {"MessageSid": "SM1", "From": "+447700900001", "Body": "hi"}
    signature = RequestValidator("another-token").compute_signature(URL, form)
    assert not accepted(urlencode(form).encode(), URL, signature)


def test_blank_parameters_are_kept_and_signed():
    form = {"MessageSid": "SM1", "From": "+447700900001", "Body": "", "MediaUrl0": "x"}
    params = parse_form(urlencode(form).encode())
    assert params["Body"] == ""
    assert is_genuine(VALIDATOR, URL, params, sign(URL, form))


def test_a_repeated_parameter_is_signed_with_every_value():
    body = b"MessageSid=SM1&From=%2B447700900001&Tag=a&Tag=b"
    params = parse_form(body)
    assert params.getall("Tag") == ["a", "b"]
    assert is_genuine(VALIDATOR, URL, params, VALIDATOR.compute_signature(URL, params))
    only_first = {"MessageSid": "SM1", "From": "+447700900001", "Tag": "a"}
    assert not is_genuine(VALIDATOR, URL, params, sign(URL, only_first))


def test_invalid_utf8_is_a_malformed_request_not_a_crash():
    with pytest.raises(MalformedRequest, match="UTF-8"):
        parse_form(b"MessageSid=SM1&Body=%FF%FE")
    with pytest.raises(MalformedRequest, match="UTF-8"):
        parse_form(b"Body=\xff")


def test_missing_from_or_message_sid_is_a_malformed_request():
    with pytest.raises(MalformedRequest, match="From"):
        arrival_from(parse_form(b"MessageSid=SM1&Body=hi"), b"k")
    with pytest.raises(MalformedRequest, match="MessageSid"):
        arrival_from(parse_form(b"From=%2B447700900001&Body=hi"), b"k")


def test_the_arrival_carries_a_pseudonym_never_the_number():
    arrival = arrival_from(parse_form(urlencode({
        "MessageSid": "SM1", "From": "whatsapp:+447700900001", "To": "whatsapp:+447700900900",
        "Body": "hi\x00", "NumMedia": "2", "Latitude": "51.5", "Longitude": "-0.1"}).encode()), b"k")
    assert arrival.channel == Channel.WHATSAPP
    assert arrival.sender_id.startswith("wa-") and "7700900001" not in arrival.sender_id
    assert (arrival.body, arrival.num_media, arrival.has_location) == ("hi", 2, True)
    assert arrival.our_address == "whatsapp:+447700900900"
