"""`python -m bot model train|register|list|promote|rollback|report` (bot/cli.py wires these in)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional

import sqlalchemy as sa

from bot.config import Settings, get_settings
from bot.db.session import session_factory
from bot.db.staff import Staff
from bot.training.promotion import PromotionError, PromotionRefused
from bot.training.rasa_models import ModelLoadError
from bot.training.registry import Entry
from bot.training import refresh, report, services
from bot.training.services import promoter, register_model, registry, train_model


def describe(entry: Entry, live_id: Optional[str]) -> str:
    f = entry.figures
    marker = "*" if entry.model_id == live_id else " "
    commit = (entry.data_version.git_commit or "no-git")[:10] + ("+" if entry.data_version.git_dirty else "")
    return (f"{marker} {entry.model_id}  macro-F1 {f.intent_macro_f1:.3f}  emergency recall "
            f"{f.recall('emergency'):.2f}  false alarms {f.false_alarm_rate:.3f}  data {commit} "
            f"{entry.data_version.inputs_sha256[:10]}")


def _staff(settings: Settings, email: Optional[str]) -> Optional[Staff]:
    if not email:
        return None
    with session_factory(settings.database_url)() as session:
        found = session.execute(sa.select(Staff).where(Staff.email == email.strip().lower())).scalar()
    if found is None:
        raise PromotionError(f"no staff account {email}")
    return found


# `model train --promote` exits with this when the gate refused the model: not an error (the live
# model keeps serving), so `make train` goes on, but a script can tell it from success.
REFUSED_EXIT = 3


def _train(args: argparse.Namespace) -> int:
    settings = get_settings()
    config = Path(args.config or settings.project_root / "config.yml")
    if not args.promote:
        known = refresh.current_candidate(settings, config) if args.if_stale else None
        entry = known or train_model(settings, config)
        print(describe(entry, None))
        return 0
    from bot.supervisor import prepare_database  # promotion audits, so the database must be migrated

    prepare_database(settings)
    try:
        result = refresh.refresh(settings, config, Path(args.candidate_file) if args.candidate_file else None,
                                 retrain=not args.if_stale)
    except (PromotionError, ModelLoadError) as error:
        print(f"not promoted: {error}", file=sys.stderr)
        return 1
    print("\n".join(refresh.explain(result)), file=sys.stdout if result.is_live else sys.stderr)
    return 0 if result.is_live else REFUSED_EXIT


def _register(args: argparse.Namespace) -> int:
    entry = register_model(get_settings(), Path(args.model_file), source=f"registered from {args.model_file}")
    print(describe(entry, None))
    return 0


def _list(args: argparse.Namespace) -> int:
    settings = get_settings()
    live = services.in_service(settings)  # never measures: listing stays instant
    for entry in registry(settings).entries():
        print(describe(entry, live.model_id if live else None))
    return 0


def _promote(args: argparse.Namespace) -> int:
    settings = get_settings()
    try:
        outcome = promoter(settings).promote(args.model_id, by=_staff(settings, args.by),
                                             override_reason=args.override_reason or "")
    except PromotionRefused as refused:
        print("refused: " + "\n  ".join(["the promotion gate failed:"] + refused.failures), file=sys.stderr)
        print("an admin may override: --override-reason TEXT --by ADMIN_EMAIL", file=sys.stderr)
        return 1
    except (PromotionError, LookupError, ModelLoadError) as error:
        print(f"not promoted: {error}", file=sys.stderr)
        return 1
    _print_outcome("promoted", outcome)
    return 0


def _rollback(args: argparse.Namespace) -> int:
    settings = get_settings()
    try:
        outcome = promoter(settings).rollback(by=_staff(settings, args.by))
    except (PromotionError, LookupError, ModelLoadError) as error:
        print(f"not rolled back: {error}", file=sys.stderr)
        return 1
    _print_outcome("rolled back to", outcome)
    return 0


def _print_outcome(verb: str, outcome) -> None:
    print(f"{verb} {outcome.model_id} (was {outcome.previous_id or 'none'})")
    for failure in outcome.overridden:
        print(f"  gate overridden: {failure}")
    print(refresh.RELOAD_WORDS[outcome.reload])


def _report(args: argparse.Namespace) -> int:
    settings = get_settings()
    try:
        if args.model_id:
            subject = services.model_subject(settings, args.model_id)
            default = settings.var_dir / "reports" / f"model-{args.model_id}.html"
        else:
            subject = services.evaluation_subject(settings)
            default = settings.var_dir / "reports" / "evaluation.html"
    except (LookupError, FileNotFoundError) as error:
        print(f"no report: {error} (run make evaluate, or name a registered model)", file=sys.stderr)
        return 1
    print(f"evaluation report written to {report.write(subject, Path(args.out) if args.out else default)}")
    return 0


def register(commands) -> None:
    model = commands.add_parser("model", help="the model registry: train, list, promote, roll back")
    sub = model.add_subparsers(dest="model", required=True)
    train = sub.add_parser("train", help="train from the working tree and register the model")
    train.add_argument("--config", help="pipeline config (default config.yml)")
    train.add_argument("--if-stale", action="store_true",
                       help="reuse the registry's model trained from these same inputs, if there is one")
    train.add_argument("--promote", action="store_true",
                       help=f"then put it live if it passes the promotion gate (`make train`); "
                            f"exit {REFUSED_EXIT} if the gate refuses it")
    train.add_argument("--candidate-file", metavar="PATH",
                       help="with --promote: copy the trained model here, promoted or not (make's target)")
    train.set_defaults(func=_train)
    add = sub.add_parser("register", help="measure a trained model file and keep it")
    add.add_argument("model_file")
    add.set_defaults(func=_register)
    sub.add_parser("list", help="every registered model; * marks the one in service").set_defaults(func=_list)
    promote = sub.add_parser("promote", help="put a model in service if it passes the gate")
    promote.add_argument("model_id", nargs="?", help="default: the newest registered model")
    promote.add_argument("--override-reason", help="admin only: promote despite the gate, and why")
    promote.add_argument("--by", metavar="EMAIL", help="the staff account doing this (needed to override)")
    promote.set_defaults(func=_promote)
    rollback = sub.add_parser("rollback", help="put back the model that was live before")
    rollback.add_argument("--by", metavar="EMAIL")
    rollback.set_defaults(func=_rollback)
    html = sub.add_parser("report", help="the evaluation report as HTML (default: the last make evaluate)")
    html.add_argument("model_id", nargs="?", help="a registered model instead")
    html.add_argument("--out", help="where to write it (default var/reports/evaluation.html)")
    html.set_defaults(func=_report)
