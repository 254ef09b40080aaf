"""Consent, handoff, STOP, START, erasure and retention as a state machine over the real services
on a real SQLite database.

Hypothesis interleaves parents' offers (accepted, sometimes twice, as a retried action would),
withdrawals, case closes, messages kept against a case, STOP and START, replies queued by the bot
or staff, the sender's decisions (`outbox.claim` + `sender.plan`, recorded as sent or
suppressed, without calling Twilio), erasure requests (`subject erase`, with and without the
safeguarding hold), a parent writing again after their contact was erased, and a retention run
twenty years later. After every step:

- no message is sent to a parent after their STOP (only the STOP confirmation itself);
- each consented offer has exactly one case, whatever the retries (until erasure or retention
  removes a closed one);
- withdrawal is honoured: no active case, nothing more kept against it, and a withdrawal record;
- after erasure nothing of the parent remains but the cases and consent records the erasure
  recorded as kept for safeguarding, and the contact it kept for an active case; without one,
  nothing can be queued to them until they write again;
- a parent with an active case stays reachable (their contact survives erasure and retention);
- retention never deletes an active case.
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
from bot.config import RetentionPeriods
from bot.db.messaging import InboundMessage
from bot.db.models import ACTIVE_STATUSES
from bot.governance import retention, subject
from bot.handoffs.service import HandoffService, Offer
from bot.messaging import contacts, outbox
from bot.messaging.contacts import as_utc
from bot.messaging.pseudonym import sender_id_for
from bot.messaging.sender import plan

SECRET = b"state-machine-key"
# Real pseudonyms: an erasure request finds a parent by number, through the contact or, once the
# contact is gone, by deriving the sender id again.
NUMBERS = {sender_id_for(number, SECRET): number for number in (f"+44770090{n:04d}" for n in range(3))}
PARENTS = sorted(NUMBERS)
# Twenty years on: every closed case and finished message has expired. The audit period keeps the
# audit cutoff more than the database's floor (365 days) in the real past.
LATER = dt.timedelta(days=20 * 365)
PERIODS = RetentionPeriods(audit_days=20 * 365 + 400)
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
        # Parents whose erasure is the latest thing that happened to them: what it kept.
        self.erased: Dict[str, Set[tuple]] = {}
        for parent in PARENTS:
            self.texts_again(parent)

    def _reachable(self, parent: str) -> bool:
        """The parent has a contact: they wrote to us and it was not erased or expired since."""
        with self.sessions() as session:
            return session.get(Contact, parent) is not None

    def _no_longer_just_erased(self, parent: str) -> None:
        """New records of the parent (reachable through the contact an active case kept): the
        erasure is no longer the latest thing that happened to them."""
        self.erased.pop(parent, None)

    def _forget_cases_gone(self) -> None:
        """Erasure and retention delete closed cases: expect only the cases still there."""
        with self.sessions() as session:
            offers = set(session.execute(sa.select(Handoff.offer_id)).scalars())
            case_ids = set(session.execute(sa.select(Handoff.id)).scalars())
        self.accepted &= offers
        self.withdrawn_cases &= case_ids

    def _offer(self, parent: str, n: int) -> Offer:
        return Offer(offer_id=f"{parent}-offer-{n}", sender_id=parent, channel="sms", category="sleep_emergency",
                     level="emergency", matched=None, wording_version="v1", wording_text="May we share?")

    @rule(parent=parents, n=st.integers(0, 3), twice=st.booleans())
    def accept_an_offer(self, parent: str, n: int, twice: bool) -> None:
        if not self._reachable(parent):
            return  # a parent's message always comes with their contact (see texts_again)
        if self.service.active_case(parent) is not None:
            return  # the bot pauses a parent with an active case: no new offer is made
        offer = self._offer(parent, n)
        self._no_longer_just_erased(parent)
        first = self.service.accept(offer)
        if twice:  # the action retried, e.g. after the action server restarted
            assert self.service.accept(offer).id == first.id
        self.accepted.add(offer.offer_id)

    @rule(parent=parents, n=st.integers(4, 5))
    def decline_an_offer(self, parent: str, n: int) -> None:
        if not self._reachable(parent) or self.service.active_case(parent) is not None:
            return
        self._no_longer_just_erased(parent)
        self.service.decline(self._offer(parent, n))

    @rule(parent=parents)
    def withdraw(self, parent: str) -> None:
        if not self._reachable(parent):
            return  # a parent's message always comes with their contact (see texts_again)
        case = self.service.withdraw(parent)
        if case is not None:
            self._no_longer_just_erased(parent)  # the withdrawal is a new consent record
            self.withdrawn_cases.add(case.id)
            assert self.service.active_case(parent) is None
            assert self.service.record_message(parent, "after withdrawing") is None

    @rule(parent=parents, text=st.sampled_from(["still worried", "he is breathing fine now"]))
    def message_while_a_case_may_be_open(self, parent: str, text: str) -> None:
        if not self._reachable(parent):
            return  # a parent's message always comes with their contact (see texts_again)
        self.service.record_message(parent, text)

    @rule(parent=parents)
    def a_health_visitor_closes_the_case(self, parent: str) -> None:
        case = self.service.active_case(parent)
        if case is not None:
            self.service.close(case.id, "advice_given")

    @rule(parent=parents)
    def stop(self, parent: str) -> None:
        if not self._reachable(parent):
            return  # a parent's message always comes with their contact (see texts_again)
        self._no_longer_just_erased(parent)
        with self.sessions.begin() as session:
            contacts.opt_out(session, parent)
            outbox.queue_message(session, parent, "You will get no more messages.", origin="system",
                                 ignores_opt_out=True)
        self.stopped_at[parent] = self.stopped_at[parent] or utcnow()

    @rule(parent=parents)
    def start(self, parent: str) -> None:
        if not self._reachable(parent):
            return  # a parent's message always comes with their contact (see texts_again)
        with self.sessions.begin() as session:
            contacts.opt_in(session, parent)
        self.stopped_at[parent] = None

    @rule(parent=parents, origin=st.sampled_from(["bot", "staff"]))
    def queue_a_reply(self, parent: str, origin: str) -> None:
        reachable = self._reachable(parent)
        try:
            with self.sessions.begin() as session:
                outbox.queue_message(session, parent, f"A {origin} reply.", origin=origin)
        except LookupError:
            assert not reachable, "a reply to a parent with a contact was refused"
        else:
            assert reachable, "a reply was queued to a parent whose contact is gone"
            self._no_longer_just_erased(parent)

    @rule(parent=parents, hold_days=st.sampled_from([0, 180]))
    def erase(self, parent: str, hold_days: int) -> None:
        report = subject.erase(self.sessions, self.url, NUMBERS[parent], SECRET, hold_days)
        self.erased[parent] = {(k["record"], k["record_id"]) for k in report.kept}
        self._forget_cases_gone()

    @rule(parent=parents)
    def texts_again(self, parent: str) -> None:
        """The parent writes (again): the Twilio channel records their contact. A contact made
        anew (after erasure or retention) starts without the opt-out it no longer remembers."""
        if not self._reachable(parent):
            self.stopped_at[parent] = None
        with self.sessions.begin() as session:
            contacts.record_inbound(session, parent, NUMBERS[parent], Channel.SMS, "+447700900900", utcnow())
        self.erased.pop(parent, None)

    @rule()
    def retention_runs_twenty_years_later(self) -> None:
        with self.sessions() as session:
            active = set(session.execute(sa.select(Handoff.id).where(Handoff.status.in_(ACTIVE_STATUSES))).scalars())
        retention.run(self.sessions, self.url, PERIODS, now=utcnow() + LATER)
        with self.sessions() as session:
            remaining = set(session.execute(sa.select(Handoff.id)).scalars())
            assert active <= remaining, "retention deleted an active case"
            assert remaining == active, "a closed case outlived its retention period"
        for parent, kept in self.erased.items():
            self.erased[parent] = {(record, i) for record, i in kept
                                   if record == "case" and i in remaining
                                   or record == "consent" and self._consent_case(i) in remaining
                                   or record == "case_contact" and self._reachable(parent)
                                   or record == "unsent_message" and self._reachable(parent)}
        self._forget_cases_gone()

    def _consent_case(self, consent_id: int) -> Optional[int]:
        with self.sessions() as session:
            consent = session.get(Consent, consent_id)
            return consent.handoff_id if consent else None

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

    @invariant()
    def a_parent_with_an_active_case_stays_reachable(self) -> None:
        if not hasattr(self, "sessions"):
            return
        for parent in PARENTS:
            if self.service.active_case(parent) is not None:
                assert self._reachable(parent), f"{parent} has an active case but no contact"

    @invariant()
    def after_erasure_nothing_remains_but_the_safeguarding_keep(self) -> None:
        if not hasattr(self, "sessions"):
            return
        with self.sessions() as session:
            for parent, kept in self.erased.items():
                # An active case keeps its parent's contact (retention may delete it once the case ended).
                contact_kept = any(record == "case_contact" for record, _ in kept)
                for model, column, allowed in ((Contact, Contact.sender_id, int(contact_kept)),
                                               (InboundMessage, InboundMessage.sender_id, 0)):
                    left = session.execute(sa.select(sa.func.count()).select_from(model).where(column == parent)).scalar_one()
                    assert left == allowed, f"{model.__tablename__} holds {left} row(s) of an erased parent, not {allowed}"
                # Only what was still to be sent to a kept contact stays, and the erasure says so.
                outbound = set(session.execute(sa.select(OutboundMessage.id).where(
                    OutboundMessage.sender_id == parent)).scalars())
                unsent = {i for record, i in kept if record == "unsent_message"}
                assert outbound <= unsent, f"outbound_messages holds {sorted(outbound - unsent)} of an erased parent"
                assert not unsent or contact_kept, "a message kept to be sent to a contact that is gone"
                held = {("case", i) for i in session.execute(
                    sa.select(Handoff.id).where(Handoff.sender_id == parent)).scalars()}
                held |= {("consent", i) for i in session.execute(
                    sa.select(Consent.id).where(Consent.sender_id == parent)).scalars()}
                kept = {(record, i) for record, i in kept if record in ("case", "consent")}
                assert held == kept, f"after erasure {sorted(held - kept)} remain unrecorded, {sorted(kept - held)} lost"

    def teardown(self) -> None:
        if hasattr(self, "locks"):
            self.locks.close()
            self.sessions.kw["bind"].dispose()
            self.directory.cleanup()


ConsentMachine.TestCase.settings = settings(max_examples=50, stateful_step_count=40, deadline=None,
                                            suppress_health_check=[HealthCheck.too_slow])
test_consent_handoff_stop_state_machine = ConsentMachine.TestCase
