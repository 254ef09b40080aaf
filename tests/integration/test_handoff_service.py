"""Consent and cases against a real database, SQLite and PostgreSQL, through the migrations."""
import datetime as dt
import uuid

import pytest
import sqlalchemy as sa

from bot.db.session import engine_for, session_factory
from bot.handoffs.service import HandoffService, Offer, case_summary

NOW = dt.datetime(2026, 11, 25, 3, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def service(database_url):
    yield HandoffService(session_factory(database_url))
    engine_for(database_url).dispose()


def offer(sender="parent-1", **changes) -> Offer:
    fields = dict(
        offer_id=str(uuid.uuid4()), sender_id=sender, channel="rest", category="unsafe_sleep",
        level="high", matched="drunk + in bed with me", wording_version="handoff-consent-v1",
        wording_text="Would you like a health visitor to contact you? Reply YES or NO.",
        categories=["unsafe_sleep"], priority=1,
        trigger_messages=[{"text": "had 4 cans, baby in bed with me", "at": NOW.isoformat(),
                           "category": "unsafe_sleep"}],
    )
    return Offer(**{**fields, **changes})


def test_yes_creates_the_case_and_its_consent_together(service):
    case = service.accept(offer(), NOW)
    [consent] = service.consents("parent-1")
    assert (consent.decision, consent.handoff_id, consent.wording_version) == ("given", case.id, "handoff-consent-v1")
    assert consent.wording_text.startswith("Would you like a health visitor")
    stored = service.active_case("parent-1")
    assert (stored.status, stored.category, stored.level) == ("open", "unsafe_sleep", "high")
    assert stored.trigger_messages[0]["text"] == "had 4 cans, baby in bed with me"


def test_a_repeated_yes_to_the_same_offer_never_makes_a_second_case(service):
    the_offer = offer()
    first, second = service.accept(the_offer, NOW), service.accept(the_offer, NOW)
    assert first.id == second.id
    assert len(service.all_cases()) == 1
    assert len(service.consents("parent-1")) == 1


def test_no_records_the_declined_offer_without_any_message_text(service):
    service.decline(offer(), NOW)
    [consent] = service.consents("parent-1")
    assert (consent.decision, consent.category, consent.handoff_id) == ("declined", "unsafe_sleep", None)
    assert service.all_cases() == []
    assert "cans" not in consent.wording_text


def test_stop_sharing_withdraws_the_open_case_and_is_recorded(service):
    case = service.accept(offer(), NOW)
    withdrawn = service.withdraw("parent-1", NOW)
    assert withdrawn.id == case.id and withdrawn.status == "withdrawn"
    assert [c.decision for c in service.consents("parent-1")] == ["given", "withdrawn"]
    assert service.active_case("parent-1") is None
    assert service.withdraw("parent-1", NOW) is None


def test_messages_while_open_are_kept_against_the_case_until_it_is_closed(service):
    case = service.accept(offer(), NOW)
    assert service.record_message("parent-1", "are you there", None, NOW).id == case.id
    service.close(case.id, "advice_given", NOW)
    assert service.record_message("parent-1", "thanks", None, NOW) is None
    assert [m.text for m in service.case_messages(case.id)] == ["are you there"]


def test_closing_an_unknown_case_is_a_clear_error(service):
    with pytest.raises(LookupError, match="no case 999"):
        service.close(999, "advice_given")


def test_the_summary_has_the_fields_health_visitors_use(service):
    summary = case_summary(service.accept(offer(), NOW))
    assert set(summary) == {"id", "sender_id", "channel", "category", "level", "status",
                            "created_at", "consented_at"}


def test_migrations_create_every_table(database_url):
    tables = set(sa.inspect(engine_for(database_url)).get_table_names())
    assert {"handoffs", "consents", "case_messages", "alembic_version"} <= tables
