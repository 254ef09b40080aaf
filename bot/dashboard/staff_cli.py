"""`python -m bot staff add|list|disable`: staff accounts from the command line (bot/cli.py wires
these in). Passwords are prompted for, or read from stdin with --password-stdin, never taken as
an argument, so they stay out of shell history and the process list."""
from __future__ import annotations

import argparse
import getpass
import sys

from bot.config import get_settings
from bot.dashboard.accounts import AccountError, Accounts
from bot.db.session import session_factory
from bot.db.staff import DEFAULT_TEAM, Role


def _accounts() -> Accounts:
    return Accounts(session_factory(get_settings().database_url))


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password (at least 12 characters): ")
    if getpass.getpass("Same password again: ") != first:
        raise AccountError("The two passwords differ.")
    return first


def _add(args: argparse.Namespace) -> int:
    try:
        staff = _accounts().add(args.email, args.role, _read_password(args.password_stdin),
                                team=args.team, mfa_required=not args.no_mfa,
                                bot_env=get_settings().bot_env)
    except AccountError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"added {staff.email} ({staff.role}, team {staff.team})"
          + ("" if staff.mfa_required else ", without two-factor sign-in (test only)"))
    return 0


def _list(args: argparse.Namespace) -> int:
    for staff in _accounts().all():
        state = "disabled" if staff.disabled else ("mfa enrolled" if staff.totp_secret else "mfa not yet enrolled")
        if not staff.mfa_required:
            state += ", no mfa (test)"
        print(f"{staff.id:>4}  {staff.email:<40} {staff.role:<15} {staff.team:<12} {state}")
    return 0


def _disable(args: argparse.Namespace) -> int:
    try:
        staff = _accounts().disable(args.email)
    except AccountError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"disabled {staff.email}; their sessions end on their next request")
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    staff = commands.add_parser("staff", help="dashboard accounts for health visitors, trainers, admins")
    staff_commands = staff.add_subparsers(dest="staff", required=True)
    add = staff_commands.add_parser("add", help="create an account (two-factor sign-in is enrolled on first login)")
    add.add_argument("email")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--team", default=DEFAULT_TEAM, help="which team's cases a health visitor sees")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.add_argument("--no-mfa", action="store_true", help="tests only: refused unless BOT_ENV=test")
    add.set_defaults(func=_add)
    staff_commands.add_parser("list", help="every account").set_defaults(func=_list)
    disable = staff_commands.add_parser("disable", help="stop an account signing in")
    disable.add_argument("email")
    disable.set_defaults(func=_disable)
