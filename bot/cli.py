"""The `python -m bot` command line: thin wrappers over the services in this package."""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import List, Optional

from bot.config import get_settings
from bot.dashboard import staff_cli
from bot.evaluation.gate import GATES
from bot.governance import cli as governance_cli
from bot.training import cli as training_cli

CLOSE_OUTCOMES = ("advice_given", "referred_midwife", "referred_gp", "referred_social_care",
                  "referred_police", "no_further_action", "could_not_contact")


def _run(args: argparse.Namespace) -> int:
    from bot import supervisor

    return supervisor.run(get_settings(), replicas=args.replicas)


def _shell(args: argparse.Namespace) -> int:
    from bot import supervisor

    return supervisor.shell(get_settings())


def _dashboard(args: argparse.Namespace) -> int:
    from bot.dashboard.serve import serve

    return serve(get_settings())


def _evaluate(args: argparse.Namespace) -> int:
    from bot.evaluation import gate, risk

    gates = args.gate or ()
    reports = [args.only] if args.only else GATES
    if not set(gates) <= set(reports):
        print(f"--gate {' '.join(gates)} needs its report, but --only {args.only} skips it")
        return 2
    return gate.main(get_settings(), gates=gates, reports=reports,
                     risk_set=Path(args.risk_set) if args.risk_set else risk.TEST_SET)


def _check_content(args: argparse.Namespace) -> int:
    from bot.content import checks

    return checks.main(get_settings())


def _db_upgrade(args: argparse.Namespace) -> int:
    from bot.db.migrate import upgrade

    upgrade(get_settings().database_url)
    print("database is up to date")
    return 0


def _handoffs_list(args: argparse.Namespace) -> int:
    from bot.handoffs.service import case_summary, handoff_service

    cases = [case_summary(c) for c in handoff_service().all_cases()]
    if args.json:
        print(json.dumps(cases, indent=2))
    else:
        for case in cases:
            print("{id:>5}  {status:<9} {level:<9} {category:<20} {channel:<8} {created_at}".format(**case))
    return 0


def _handoffs_close(args: argparse.Namespace) -> int:
    from bot.handoffs.service import handoff_service

    try:
        handoff_service().close(args.case_id, args.outcome)
    except LookupError as error:
        print(error)
        return 1
    print(f"case {args.case_id} closed: {args.outcome}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="start the action server and the Rasa server")
    run.add_argument("--replicas", type=int, default=1, choices=range(1, 9), metavar="N",
                     help="Rasa servers on ports RASA_PORT, RASA_PORT+1, …; above 1 needs PostgreSQL and "
                          "LOCK_STORE_URL (make run-cluster)")
    run.set_defaults(func=_run)
    commands.add_parser("shell", help="talk to the bot in this terminal").set_defaults(func=_shell)
    evaluate = commands.add_parser("evaluate", help="score the model on the held-out test set")
    evaluate.add_argument("--gate", action="append", choices=GATES,
                          help="exit 1 when this gate fails (repeatable)")
    evaluate.add_argument("--only", choices=GATES, help="run only this report")
    evaluate.add_argument("--risk-set", metavar="PATH",
                          help="score risk on this labelled set (e.g. a development set in "
                               "tests/evaluation/risk_dev/) instead of the blind test set")
    evaluate.set_defaults(func=_evaluate)
    commands.add_parser(
        "check-content", help="check every response's sources, SMS length and reading age"
    ).set_defaults(func=_check_content)
    db = commands.add_parser("db", help="the application database").add_subparsers(dest="db", required=True)
    db.add_parser("upgrade", help="apply migrations to DATABASE_URL").set_defaults(func=_db_upgrade)
    handoffs = commands.add_parser("handoffs", help="cases handed to health visitors")
    handoff_commands = handoffs.add_subparsers(dest="handoffs", required=True)
    listing = handoff_commands.add_parser("list", help="every case")
    listing.add_argument("--json", action="store_true", help="print a JSON list")
    listing.set_defaults(func=_handoffs_list)
    close = handoff_commands.add_parser("close", help="close a case; the bot resumes for that parent")
    close.add_argument("case_id", type=int)
    close.add_argument("--outcome", required=True, choices=CLOSE_OUTCOMES)
    close.set_defaults(func=_handoffs_close)
    commands.add_parser("dashboard", help="serve the health visitors' dashboard on DASHBOARD_PORT"
                        ).set_defaults(func=_dashboard)
    staff_cli.register(commands)
    training_cli.register(commands)
    governance_cli.register(commands)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)
