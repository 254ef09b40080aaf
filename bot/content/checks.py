"""Content checks run by `make validate`, the tests and (later) the trainer dashboard.

Every health answer must name its source (publisher, page, URL, review date) in the response's
`metadata.sources`, and end with "Source: <publisher>" so the parent sees it too. Conversational
responses (greeting, goodbye…) carry `metadata.conversational: true` instead, so a missing source is
always a deliberate choice a reviewer can see, never an omission.
"""
from __future__ import annotations

import datetime as dt
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List

import textstat
import yaml

from bot.channels import sms
from bot.config import Settings

APPROVED_PUBLISHERS = frozenset({"Lullaby Trust", "NHS", "NICE", "AAP"})

# Reading age is the Flesch-Kincaid grade plus 5 (a US grade-1 reader is about 6 years old).
# The target is a reading age of about 11. Flesch-Kincaid is noisy on a 60-word text, so the
# target applies to all responses read together, and each single response gets a ceiling
# 2 years higher to catch an outlier without failing on one long word such as "midwife".
TARGET_READING_AGE = 11.0
SINGLE_RESPONSE_READING_AGE_CEILING = 13.0

# Parts of a reply that are not prose: they would make the text look easier or harder than it is.
_NOT_PROSE = re.compile(r"https?://\S+|\b\d[\d ]{2,}\d\b|Source: .*$", re.MULTILINE)


@dataclass(frozen=True)
class Problem:
    response: str
    message: str

    def __str__(self) -> str:
        return f"{self.response}: {self.message}"


def load_responses(domain_path: Path) -> Dict[str, List[Dict[str, Any]]]:
    with open(domain_path, encoding="utf-8") as handle:
        return yaml.safe_load(handle).get("responses") or {}


def is_conversational(variation: Dict[str, Any]) -> bool:
    return bool((variation.get("metadata") or {}).get("conversational"))


def reading_age(text: str) -> float:
    return textstat.flesch_kincaid_grade(_NOT_PROSE.sub("", text)) + 5


def length_problems(name: str, text: str) -> List[Problem]:
    length = sms.measure(text)
    if length.segments <= sms.MAX_REPLY_SEGMENTS:
        return []
    limit = sms.max_length(length.encoding)
    return [Problem(name, f"{length.units} {length.encoding} characters is {length.segments} SMS "
                          f"segments; the limit is {limit} ({sms.MAX_REPLY_SEGMENTS} segments)")]


def source_problems(name: str, variation: Dict[str, Any], today: dt.date) -> List[Problem]:
    if is_conversational(variation):
        if name.startswith(("utter_sleep_", "utter_pregnancy_")):
            return [Problem(name, "a health answer cannot be marked conversational")]
        return []
    sources = (variation.get("metadata") or {}).get("sources") or []
    if not sources:
        return [Problem(name, "a health answer needs metadata.sources (or conversational: true)")]
    problems = []
    for source in sources:
        if source.get("name") not in APPROVED_PUBLISHERS:
            problems.append(Problem(name, f"source {source.get('name')!r} is not one of "
                                          f"{sorted(APPROVED_PUBLISHERS)}"))
        if not str(source.get("url", "")).startswith("https://"):
            problems.append(Problem(name, "each source needs an https:// url"))
        if not source.get("title"):
            problems.append(Problem(name, "each source needs a title"))
        problems.extend(_review_date_problems(name, source.get("reviewed"), today))
    expected_ending = f"Source: {sources[0].get('name')}"
    if not variation.get("text", "").rstrip().endswith(expected_ending):
        problems.append(Problem(name, f"the text must end with {expected_ending!r}"))
    return problems


def _review_date_problems(name: str, reviewed: Any, today: dt.date) -> List[Problem]:
    try:
        date = reviewed if isinstance(reviewed, dt.date) else dt.date.fromisoformat(str(reviewed))
    except ValueError:
        return [Problem(name, f"reviewed date {reviewed!r} is not YYYY-MM-DD")]
    if date > today:
        return [Problem(name, f"reviewed date {date} is in the future")]
    return []


def readability_problems(responses: Dict[str, List[Dict[str, Any]]]) -> List[Problem]:
    texts = {name: v["text"] for name, vs in responses.items() for v in vs if v.get("text")}
    problems = [
        Problem(name, f"reading age {age:.1f} is above {SINGLE_RESPONSE_READING_AGE_CEILING}")
        for name, text in texts.items()
        if (age := reading_age(text)) > SINGLE_RESPONSE_READING_AGE_CEILING
    ]
    overall = reading_age("\n".join(texts.values()))
    if overall > TARGET_READING_AGE:
        problems.append(Problem("(all responses)", f"reading age {overall:.1f} is above {TARGET_READING_AGE}"))
    return problems


def check_responses(
    responses: Dict[str, List[Dict[str, Any]]], today: dt.date | None = None
) -> List[Problem]:
    """Every problem in a `responses:` mapping, in domain order."""
    today = today or dt.date.today()
    problems: List[Problem] = []
    for name, variations in responses.items():
        for variation in variations:
            problems += length_problems(name, variation.get("text", ""))
            problems += source_problems(name, variation, today)
    return problems + readability_problems(responses)


def report(problems: Iterable[Problem]) -> int:
    problems = list(problems)
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"content check: {len(problems)} problem(s)")
    return 1 if problems else 0


def main(settings: Settings) -> int:
    return report(check_responses(load_responses(settings.project_root / "domain.yml")))
