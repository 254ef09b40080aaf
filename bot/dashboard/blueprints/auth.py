"""Signing in (password, then a TOTP code, enrolled on first sign-in), signing out, the home page
and the health check."""
from __future__ import annotations

import logging
from typing import Optional

import segno
import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for
from markupsafe import Markup

from bot.dashboard import security
from bot.dashboard.accounts import SignIn, new_totp_secret, provisioning_uri
from bot.dashboard.audit import Action
from bot.dashboard.security import ALL_ROLES, allow, public, signing_in
from bot.dashboard.sessions import STAGE_ACTIVE, STAGE_MFA
from bot.db.staff import Role

blueprint = Blueprint("auth", __name__)
log = logging.getLogger(__name__)

REFUSALS = {
    SignIn.WRONG: "The email, password or code is not right.",
    SignIn.WAIT: "Too many failed attempts. Wait a minute, then try again.",
    SignIn.LOCKED: ("This account is locked for 30 minutes after repeated failed sign-ins. "
                    "An admin can help if you need it sooner."),
}
HOME_OF = {Role.HEALTH_VISITOR.value: "queue.show", Role.ADMIN.value: "audit.show",
           Role.TRAINER.value: "training.show"}


def services():
    return current_app.extensions["dashboard"]


@blueprint.get("/health")
@public
def health():
    """For load balancers and `make run`: the app is up and its database answers. No login."""
    try:
        with services().accounts.sessions() as session:
            session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        return jsonify(status="database unavailable"), 503
    return jsonify(status="ok")


@blueprint.get("/login")
@public
def login():
    here = security.current()
    if here and here.record.stage == STAGE_ACTIVE:
        return redirect(url_for("auth.home"))
    return render_template("login.html")


@blueprint.post("/login")
@public
def login_submit():
    email = request.form.get("email", "")
    result = services().accounts.check_password(email, request.form.get("password", ""))
    if result.outcome is not SignIn.OK:
        services().audit.write(Action.SIGN_IN_FAILED, staff=result.staff, ip=security.client_ip(),
                               detail=f"password: {result.outcome.value}")
        log.info("sign-in refused (%s) for staff %s", result.outcome.value,
                 result.staff.id if result.staff else "unknown")
        return render_template("login.html", error=REFUSALS[result.outcome], email=email), 401
    here = security.current()
    if here:
        services().sessions.end(here.token)
    staff = result.staff
    stage = STAGE_MFA if staff.mfa_required else STAGE_ACTIVE
    token, _ = services().sessions.start(staff.id, stage, security.client_ip())
    if stage == STAGE_ACTIVE:
        services().audit.write(Action.SIGNED_IN, staff=staff, ip=security.client_ip(), detail="no mfa")
    response = redirect(url_for("auth.mfa" if stage == STAGE_MFA else "auth.home"))
    security.set_session_cookie(response, token)
    return response


@blueprint.get("/mfa")
@signing_in
def mfa():
    return _mfa_page()


def _mfa_page(error: Optional[str] = None, status: int = 200):
    """The code form; on first sign-in, with the QR code and key of a new secret to enrol."""
    here = security.current()
    if here.staff.totp_secret:
        return render_template("mfa.html", error=error), status
    secret = here.record.pending_totp_secret or new_totp_secret()
    if secret != here.record.pending_totp_secret:
        services().sessions.set_pending_secret(here.token, secret)
    uri = provisioning_uri(secret, here.staff.email)
    qr = Markup(segno.make(uri, error="m").svg_inline(scale=4, title="QR code for your authenticator app"))
    grouped = " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
    return render_template("enrol.html", qr=qr, secret=grouped, error=error), status


@blueprint.post("/mfa")
@signing_in
def mfa_submit():
    here = security.current()
    enrolling = None if here.staff.totp_secret else here.record.pending_totp_secret
    result = services().accounts.check_totp(here.staff.id, request.form.get("code", ""),
                                            enrolling_secret=enrolling)
    ip = security.client_ip()
    if result.outcome is not SignIn.OK:
        services().audit.write(Action.SIGN_IN_FAILED, staff=here.staff, ip=ip,
                               detail=f"totp: {result.outcome.value}")
        if result.outcome is SignIn.LOCKED:
            services().sessions.end(here.token)
            response = redirect(url_for("auth.login"))
            security.clear_session_cookie(response)
            return response
        return _mfa_page(REFUSALS[result.outcome], 401)
    if enrolling:
        services().audit.write(Action.MFA_ENROLLED, staff=here.staff, ip=ip)
    services().audit.write(Action.SIGNED_IN, staff=here.staff, ip=ip)
    token, _ = services().sessions.replace(here, STAGE_ACTIVE, ip)
    response = redirect(url_for("auth.home"))
    security.set_session_cookie(response, token)
    return response


@blueprint.post("/logout")
@allow(*ALL_ROLES)
def logout():
    here = security.current()
    services().sessions.end(here.token)
    services().audit.write(Action.SIGNED_OUT, staff=here.staff, ip=security.client_ip())
    response = redirect(url_for("auth.login"))
    security.clear_session_cookie(response)
    return response


@blueprint.get("/")
@allow(*ALL_ROLES)
def home():
    endpoint = HOME_OF.get(security.current().staff.role)
    if endpoint:
        return redirect(url_for(endpoint))
    return render_template("home.html")
