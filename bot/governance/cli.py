"""`python -m bot retention run` and `python -m bot subject export|erase PHONE`."""
from __future__ import annotations

import argparse
import json
import sys

from bot.config import get_settings
from bot.db.session import session_factory
from bot.messaging.pseudonym import load_secret


def _retention_run(args: argparse.Namespace) -> int:
    from bot.governance import retention

    settings = get_settings()
    try:
        report = retention.run(session_factory(settings.database_url), settings.tracker_store_url,
                               settings.retention, dry_run=args.dry_run)
    except retention.UnfinishedRun as error:
        print(error, file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
        return 0
    verb = "would delete" if report.dry_run else f"retention run {report.run_id} deleted"
    print(f"{verb}:")
    for kind, count in report.deleted.items():
        print(f"  {kind:<22} {count:>8}")
    return 0


def _subject_export(args: argparse.Namespace) -> int:
    from bot.governance import subject

    settings = get_settings()
    try:
        held = subject.export(session_factory(settings.database_url), settings.tracker_store_url,
                              args.phone, load_secret(settings))
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    print(json.dumps(held, indent=2, ensure_ascii=False))
    return 0


def _subject_erase(args: argparse.Namespace) -> int:
    from bot.governance import subject

    settings = get_settings()
    try:
        report = subject.erase(session_factory(settings.database_url), settings.tracker_store_url,
                               args.phone, load_secret(settings), settings.retention.erasure_hold_days)
    except (ValueError, TimeoutError) as error:
        print(error, file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
        return 0
    print(f"erasure {report.erasure_id}: deleted")
    for kind, count in report.deleted.items():
        print(f"  {kind:<22} {count:>8}")
    for keep in report.kept:
        print(f"kept {keep['record']} {keep['record_id']}: {keep['reason']}")
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    """Add the `retention` and `subject` commands to the `python -m bot` parser."""
    retention = commands.add_parser("retention", help="delete records past their retention period")
    run = retention.add_subparsers(dest="retention", required=True).add_parser(
        "run", help="delete what has expired (RETENTION_*_DAYS) and report counts per kind")
    run.add_argument("--dry-run", action="store_true", help="count what would be deleted; change nothing")
    run.add_argument("--json", action="store_true", help="print the report as JSON")
    run.set_defaults(func=_retention_run)
    subject = commands.add_parser("subject", help="a parent's access or erasure request")
    requests = subject.add_subparsers(dest="subject", required=True)
    export = requests.add_parser("export", help="print as JSON everything held about a phone number")
    export.add_argument("phone", help="E.164, e.g. +447700900123 (SMS and WhatsApp both)")
    export.set_defaults(func=_subject_export)
    erase = requests.add_parser("erase", help="erase a phone number's data, keeping what safeguarding needs")
    erase.add_argument("phone", help="E.164, e.g. +447700900123 (SMS and WhatsApp both)")
    erase.add_argument("--json", action="store_true", help="print the report as JSON")
    erase.set_defaults(func=_subject_erase)
