"""The `python -m bot` command line: thin wrappers over the services in this package."""
from __future__ import annotations

import argparse
from typing import List, Optional

from bot.config import get_settings


def _run(args: argparse.Namespace) -> int:
    from bot import supervisor

    return supervisor.run(get_settings())


def _shell(args: argparse.Namespace) -> int:
    from bot import supervisor

    return supervisor.shell(get_settings())


def _evaluate(args: argparse.Namespace) -> int:
    from bot.evaluation import nlu

    return nlu.main(get_settings(), gate=args.gate)


def _check_content(args: argparse.Namespace) -> int:
    from bot.content import checks

    return checks.main(get_settings())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="start the action server and the Rasa server").set_defaults(func=_run)
    commands.add_parser("shell", help="talk to the bot in this terminal").set_defaults(func=_shell)
    evaluate = commands.add_parser("evaluate", help="score the model on the held-out test set")
    evaluate.add_argument("--gate", action="store_true", help="exit 1 when below the quality gate")
    evaluate.set_defaults(func=_evaluate)
    commands.add_parser(
        "check-content", help="check every response's sources, SMS length and reading age"
    ).set_defaults(func=_check_content)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)
