"""A case as plain text, for filing in the health record (the export is audited like a view)."""
from __future__ import annotations

from typing import Callable

from bot.dashboard.casework import OUTCOMES, CaseView


def case_as_text(view: CaseView, local: Callable) -> str:
    case = view.case
    lines = [
        f"Case {case.id}",
        f"Status: {case.status}" + (f" ({OUTCOMES.get(case.outcome, case.outcome)})" if case.outcome else ""),
        f"Level: {case.level}; categories: {', '.join(case.categories or [case.category])}",
        f"Channel: {case.channel}; contact: {view.phone or 'not known (not SMS/WhatsApp)'}",
        f"Consented: {local(case.consented_at)}",
        "",
        "Consent record:",
        *[f"  {local(c.created_at)}  {c.decision}  [{c.wording_version}] {c.wording_text}" for c in view.consents],
        "",
        "Risk signals:",
        *[f"  {s.get('at', '')}  {s.get('category', '')}: {s.get('text', '')}" for s in case.trigger_messages or []],
        "",
        "Conversation:",
        *[f"  {local(e.at)}  {e.side}{' (while paused)' if e.while_paused else ''}"
          f"{' ' + e.author if e.author else ''}: {e.text}" for e in view.conversation],
        "",
        "Notes:",
        *[f"  {local(note.created_at)}  {email}: {note.text}" for note, email in view.notes],
    ]
    return "\n".join(lines) + "\n"
