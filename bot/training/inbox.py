"""The trainers' inbox: parent messages the bot fell back on or was unsure about, redacted.

The collector reads new user events from the tracker store (where every channel's conversations
already are) instead of hooking into the live message path, so collecting can never slow or drop
a parent's message. A message is unsure when the FallbackClassifier answered nlu_fallback, or
the top intent is under its threshold, or the top two are closer than its ambiguity threshold
(both read from config.yml). Trainers' own test conversations (sender ids starting
TEST_SENDER_PREFIX) are skipped. Only the redacted text and the prediction are kept.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

import sqlalchemy as sa
import yaml
from sqlalchemy.orm import sessionmaker

from bot.db.models import utcnow
from bot.db.training import InboxCursor, InboxItem
from bot.handoffs import test_senders
from bot.training.redaction import redact

TEST_SENDER_PREFIX = test_senders.PREFIX
FALLBACK_INTENT = "nlu_fallback"
CURSOR = "tracker_events"
BATCH = 500


@dataclass(frozen=True)
class Thresholds:
    threshold: float
    ambiguity: float


def thresholds_from_config(config_file: Path) -> Thresholds:
    """The FallbackClassifier's own settings, so "unsure" here means what it means to the bot."""
    config = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    for component in config.get("pipeline", []):
        if component.get("name") == "FallbackClassifier":
            return Thresholds(float(component.get("threshold", 0.3)),
                              float(component.get("ambiguity_threshold", 0.1)))
    raise LookupError(f"{config_file} has no FallbackClassifier")


def why_unsure(parse: dict, limits: Thresholds) -> Optional[str]:
    """"fallback", "unsure", or None for a message the bot understood."""
    intent = (parse.get("intent") or {}).get("name")
    if intent == FALLBACK_INTENT:
        return "fallback"
    ranking = [r for r in parse.get("intent_ranking") or [] if r.get("name") != FALLBACK_INTENT]
    if not ranking:
        return None
    if ranking[0]["confidence"] < limits.threshold:
        return "unsure"
    if len(ranking) > 1 and ranking[0]["confidence"] - ranking[1]["confidence"] < limits.ambiguity:
        return "unsure"
    return None


def _top_intent(parse: dict) -> tuple:
    ranking = [r for r in parse.get("intent_ranking") or [] if r.get("name") != FALLBACK_INTENT]
    return (ranking[0]["name"], ranking[0]["confidence"]) if ranking else (None, None)


def collect(tracker_url: str, sessions: sessionmaker, limits: Thresholds) -> int:
    """Copy newly misunderstood messages into the inbox; returns how many were added."""
    engine = sa.create_engine(tracker_url, future=True)
    try:
        if not sa.inspect(engine).has_table("events"):
            return 0
        added = 0
        with sessions.begin() as session:
            cursor = session.get(InboxCursor, CURSOR) or InboxCursor(name=CURSOR, last_event_id=0)
            session.add(cursor)
            while True:
                with engine.connect() as conn:
                    rows = conn.execute(sa.text(
                        "SELECT id, sender_id, data FROM events WHERE type_name = 'user' AND id > :after "
                        "ORDER BY id LIMIT :n"), {"after": cursor.last_event_id, "n": BATCH}).all()
                for event_id, sender_id, data in rows:
                    cursor.last_event_id = event_id
                    item = _item(event_id, sender_id, json.loads(data), limits)
                    if item is not None:
                        session.add(item)
                        added += 1
                if len(rows) < BATCH:
                    return added
    finally:
        engine.dispose()


def _item(event_id: int, sender_id: str, event: dict, limits: Thresholds) -> Optional[InboxItem]:
    parse = event.get("parse_data") or {}
    text = event.get("text") or parse.get("text") or ""
    if sender_id.startswith(TEST_SENDER_PREFIX) or not text.strip() or text.startswith("/"):
        return None
    reason = why_unsure(parse, limits)
    if reason is None:
        return None
    intent, confidence = _top_intent(parse)
    risk = (parse.get("risk") or {}).get("category")
    return InboxItem(source_event_id=event_id, text=redact(text), source=reason,
                     predicted_intent=intent, confidence=confidence, risk_category=risk,
                     created_at=utcnow(), status="new")


class Inbox:
    def __init__(self, sessions: sessionmaker) -> None:
        self.sessions = sessions

    def waiting(self) -> List[InboxItem]:
        with self.sessions() as session:
            return list(session.execute(sa.select(InboxItem).where(InboxItem.status == "new")
                                        .order_by(InboxItem.id)).scalars())

    def get(self, item_id: int) -> InboxItem:
        with self.sessions() as session:
            item = session.get(InboxItem, item_id)
        if item is None:
            raise LookupError(f"no inbox item {item_id}")
        return item

    @staticmethod
    def add_flagged(session, texts: List[str], source: str, risk_category: Optional[str]) -> int:
        """Messages a health visitor flagged ("false_alarm" or "missed_risk"), redacted, in the
        caller's transaction (with its audit row)."""
        items = [InboxItem(text=redact(t), source=source, risk_category=risk_category,
                           created_at=utcnow(), status="new") for t in texts if t.strip()]
        session.add_all(items)
        return len(items)

    def close(self, item_id: int, status: str, label: Optional[str], by: str,
              now: Optional[dt.datetime] = None) -> None:
        """Mark an item labelled (with its intent) or noise."""
        with self.sessions.begin() as session:
            item = session.get(InboxItem, item_id)
            if item is None:
                raise LookupError(f"no inbox item {item_id}")
            item.status, item.label, item.labelled_by = status, label, by
            item.labelled_at = now or utcnow()
