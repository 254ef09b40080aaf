"""The content checks must catch each kind of bad response, and pass the real domain."""
import datetime as dt

from bot.config import PROJECT_ROOT
from bot.content import checks

TODAY = dt.date(2026, 11, 25)
SOURCE = {
    "name": "Lullaby Trust",
    "title": "Safer sleep advice",
    "url": "https://www.lullabytrust.org.uk/safer-sleep-advice/",
    "reviewed": "2026-11-25",
}


def health(text: str, **source_changes) -> dict:
    return {"text": text, "metadata": {"sources": [{**SOURCE, **source_changes}]}}


def messages(responses: dict) -> list:
    return [p.message for p in checks.check_responses(responses, TODAY)]


def test_a_sourced_short_plain_answer_passes():
    ok = health("Put your baby on their back for every sleep. It is the safest way. Source: Lullaby Trust")
    assert checks.check_responses({"utter_sleep_position": [ok]}, TODAY) == []


def test_a_health_answer_without_sources_fails():
    found = messages({"utter_sleep_position": [{"text": "Back is best. Source: NHS"}]})
    assert any("needs metadata.sources" in m for m in found)


def test_an_unapproved_publisher_fails():
    found = messages({"utter_x": [health("Back is best. Source: Mumsnet", name="Mumsnet")]})
    assert any("not one of" in m for m in found)


def test_a_missing_url_title_or_bad_date_fails():
    found = messages({"utter_x": [health("Back. Source: Lullaby Trust", url="", title="", reviewed="soon")]})
    assert any("https://" in m for m in found)
    assert any("title" in m for m in found)
    assert any("YYYY-MM-DD" in m for m in found)


def test_a_review_date_in_the_future_fails():
    found = messages({"utter_x": [health("Back. Source: Lullaby Trust", reviewed="2027-01-01")]})
    assert any("in the future" in m for m in found)


def test_the_parent_must_see_the_source_named_in_the_text():
    found = messages({"utter_x": [health("Put your baby on their back.")]})
    assert any("must end with 'Source: Lullaby Trust'" in m for m in found)


def test_a_health_answer_cannot_hide_behind_the_conversational_flag():
    found = messages({"utter_sleep_position": [{"text": "Hi.", "metadata": {"conversational": True}}]})
    assert any("cannot be marked conversational" in m for m in found)


def test_a_reply_over_three_segments_fails():
    found = messages({"utter_x": [health("Sleep. " * 70 + "Source: Lullaby Trust")]})
    assert any("SMS segments" in m for m in found)


def test_a_curly_apostrophe_makes_a_400_character_reply_too_long():
    text = "Don’t worry. " + "Keep the cot clear. " * 18 + "Source: Lullaby Trust"
    found = messages({"utter_x": [health(text)]})
    assert any("UCS-2" in m for m in found)


def test_hard_prose_fails_the_reading_age_check():
    hard = ("Epidemiological investigations demonstrate considerable associations between "
            "environmental thermoregulatory circumstances and unexplained infant mortality. "
            "Source: Lullaby Trust")
    found = messages({"utter_x": [health(hard)]})
    assert any("reading age" in m for m in found)


def test_every_response_in_the_domain_passes_the_content_checks():
    responses = checks.load_responses(PROJECT_ROOT / "domain.yml")
    assert len(responses) >= 30
    problems = checks.check_responses(responses)
    assert problems == [], "\n".join(map(str, problems))
