"""Consent, handoff, STOP and START as a state machine over the real services on a real SQLite database.

Hypothesis interleaves parents' offers (accepted, sometimes twice, as a retried action would),
withdrawals, case closes, messages kept against a case, STOP and START, replies queued by the bot
or staff, and the sender's decisions (`outbox.claim` + `sender.plan`, recorded as sent or
suppressed, without calling Twilio). After every step:

- no message is sent to a parent after their STOP (only the STOP confirmation itself);
- each consented offer has exactly one case, whatever the retries;
- withdrawal is honoured: no active case, nothing more kept against it, and a withdrawal record.
"""
from __future__ import annotations

import datetime as dt
import tempfile
import uuid
from typing import Dict, Optional, Set

import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from bot.config import load_settings
from bot.db.locks import OUTBOX, KeyLocks
from bot.db.messaging import Channel, Contact, OutboundMessage, OutboundStatus
from bot.db.migrate import upgrade
from bot.db.models import CaseStatus, Consent, ConsentDecision, Handoff, utcnow
from bot.db.session import session_factory
from bot.handoffs.service import HandoffService, Offer
from bot.messaging import contacts, outbox
from bot.messaging.contacts import as_utc
from bot.messaging.sender import plan

PARENTS = [f"sms-sm{n}" for n in range(3)]
parents = st.sampled_from(PARENTS)
SENDER_SETTINGS = load_settings({"TWILIO_AUTH_TOKEN": "t", "TWILIO_ACCOUNT_SID": "AC1", "PUBLIC_URL": "https://x.org",
                                 "TWILIO_SMS_FROM": "+447700900900"})


class ConsentMachine(RuleBasedStateMachine):
    @initialize()
    def database(self) -> None:
        self.directory = tempfile.TemporaryDirectory()
        self.url = f"sqlite:///{self.directory.name}/app.db"
        upgrade(self.url)
        self.sessions = session_factory(self.url)
        self.service = HandoffService(self.sessions)
        self.locks = KeyLocks(self.sessions.kw["bind"], OUTBOX)
        self.stopped_at: Dict[str, Optional[dt.datetime]] = {p: None for p in PARENTS}
        self.accepted: Set[str] = set()
        self.withdrawn_cases: Set[int] = set()
        with self.sessions.begin() as session:
            for n, parent in enumerate(PARENTS):
                contacts.record_inbound(session, parent, f"+44770090{n:04d}", Channel.SMS, "+447700900900", utcnow())

    def _offer(self, parent: str, n: int) -> Offer:
        return Offer(offer_id=f"{parent}-offer-{n}", sender_id=parent, channel="sms", category="sleep_emergency",
                     level="emergency", matched=None, wording_version="v1", wording_text="May we share?")

    @rule(parent=parents, n=st.integers(0, 3), twice=st.booleans())
    def accept_an_offer(self, parent: str, n: int, twice: bool) -> None:
        if self.service.active_case(parent) is not None:
            return  # the bot pauses a parent with an active case: no new offer is made
        offer = self._offer(parent, n)
        first = self.service.accept(offer)
        if twice:  # the action retried, e.g. after the action server restarted
            assert self.service.accept(offer).id == first.id
        self.accepted.add(offer.offer_id)

    @rule(parent=parents)
    def withdraw(self, parent: str) -> None:
        case = self.service.withdraw(parent)
        if case is not None:
            self.withdrawn_cases.add(case.id)
            assert self.service.active_case(parent) is None
            assert self.service.record_message(parent, "after withdrawing") is None

    @rule(parent=parents, text=st.sampled_from(["still worried", "he is breathing fine now"]))
    def message_while_a_case_may_be_open(self, parent: str, text: str) -> None:
        self.service.record_message(parent, text)

    @rule(parent=parents)
    def a_health_visitor_closes_the_case(self, parent: str) -> None:
        case = self.service.active_case(parent)
        if case is not None:
            self.service.close(case.id, "advice_given")

    @rule(parent=parents)
    def stop(self, parent: str) -> None:
        with self.sessions.begin() as session:
            contacts.opt_out(session, parent)
            outbox.queue_message(session, parent, "You will get no more messages.", origin="system",
                                 ignores_opt_out=True)
        self.stopped_at[parent] = self.stopped_at[parent] or utcnow()

    @rule(parent=parents)
    def start(self, parent: str) -> None:
        with self.sessions.begin() as session:
            contacts.opt_in(session, parent)
        self.stopped_at[parent] = None

    @rule(parent=parents, origin=st.sampled_from(["bot", "staff"]))
    def queue_a_reply(self, parent: str, origin: str) -> None:
        with self.sessions.begin() as session:
            outbox.queue_message(session, parent, f"A {origin} reply.", origin=origin)

    @rule()
    def the_sender_runs(self) -> None:
        """What OutboxSender._due and _send decide, recorded without Twilio."""
        with self.sessions.begin() as session:
            now = utcnow()
            for row in outbox.claim(session, now, self.locks, limit=10):
                decision = plan(SENDER_SETTINGS, row, session.get(Contact, row.sender_id), now)
                if decision.suppress:
                    outbox.mark_suppressed(session, row.id, decision.suppress)
                else:
                    assert decision.fail is None
                    outbox.mark_sent(session, row.id, f"SM{uuid.uuid4().hex}", None)
        for address in self.locks.holding():
            self.locks.release(address)

    @invariant()
    def no_message_is_sent_after_stop(self) -> None:
        if not hasattr(self, "sessions"):
            return
        with self.sessions() as session:
            for parent, since in self.stopped_at.items():
                if since is None:
                    continue
                sent = session.execute(sa.select(OutboundMessage.sent_at).where(
                    OutboundMessage.sender_id == parent, OutboundMessage.status == OutboundStatus.SENT.value,
                    OutboundMessage.ignores_opt_out.is_(False))).scalars().all()
                after = [at for at in sent if as_utc(at) >= since]
                assert after == [], f"{parent} was sent {len(after)} message(s) after STOP"

    @invariant()
    def each_consented_offer_has_exactly_one_case(self) -> None:
        if not hasattr(self, "sessions"):
            return
        with self.sessions() as session:
            offers = session.execute(sa.select(Handoff.offer_id)).scalars().all()
            consents = session.execute(sa.select(sa.func.count()).select_from(Consent).where(
                Consent.decision == ConsentDecision.GIVEN.value)).scalar_one()
        assert sorted(offers) == sorted(self.accepted)
        assert consents == len(self.accepted)

    @invariant()
    def withdrawal_is_honoured(self) -> None:
        if not hasattr(self, "sessions"):
            return
        with self.sessions() as session:
            for case_id in self.withdrawn_cases:
                case = session.get(Handoff, case_id)
                assert case.status == CaseStatus.WITHDRAWN.value
                decisions = [c.decision for c in case.consents]
                assert ConsentDecision.WITHDRAWN.value in decisions
                kept_after = [m for m in case.messages if m.text == "after withdrawing"]
                assert kept_after == []

    def teardown(self) -> None:
        if hasattr(self, "locks"):
            self.locks.close()
            self.sessions.kw["bind"].dispose()
            self.directory.cleanup()


ConsentMachine.TestCase.settings = settings(max_examples=25, stateful_step_count=30, deadline=None,
                                            suppress_health_check=[HealthCheck.too_slow])
test_consent_handoff_stop_state_machine = ConsentMachine.TestCase
