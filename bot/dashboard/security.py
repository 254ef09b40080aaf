"""Who may reach which page, CSRF, the session cookie, and the headers every response carries.

Access is deny-by-default: each view declares who may use it (`public`, `signing_in`, or
`allow(roles…)`); a view that declares nothing answers 403 to everyone, so a forgotten decorator
can never expose a page. The route × role tests enumerate `app.url_map` against these declarations.
"""
from __future__ import annotations

import hmac
import secrets
from typing import Callable, Optional

from flask import Flask, Response, abort, current_app, g, redirect, request, url_for

from bot.dashboard.sessions import STAGE_ACTIVE, STAGE_MFA, Current, SessionStore
from bot.db.staff import Role

SESSION_COOKIE = "hv_session"
# The sign-in form is posted before there is a session, so its CSRF token is a double-submit
# cookie: a forged cross-site form cannot read the cookie to copy it into the form.
LOGIN_CSRF_COOKIE = "hv_login_csrf"
PUBLIC = "public"
SIGNING_IN = "signing_in"
ALL_ROLES = frozenset(r.value for r in Role)

CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; "
                           "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; "
                           "base-uri 'none'; object-src 'none'")


def public(view: Callable) -> Callable:
    view.access = PUBLIC
    return view


def signing_in(view: Callable) -> Callable:
    """Between the password and the TOTP code: only the two-factor pages."""
    view.access = SIGNING_IN
    return view


def allow(*roles: str) -> Callable[[Callable], Callable]:
    def declare(view: Callable) -> Callable:
        view.access = frozenset(roles)
        return view
    return declare


def passive(view: Callable) -> Callable:
    """A request the page makes by itself (the queue's refresh): it does not count as activity."""
    view.passive = True
    return view


def access_of(app: Flask, endpoint: str):
    if endpoint == "static":
        return PUBLIC
    return getattr(app.view_functions[endpoint], "access", None)


def sessions() -> SessionStore:
    return current_app.extensions["dashboard"].sessions


def current() -> Optional[Current]:
    return g.get("current")


def client_ip() -> Optional[str]:
    """The connecting address. Behind a proxy, waitress rewrites it from X-Forwarded-For only
    when the proxy is DASHBOARD_TRUSTED_PROXY, so a client cannot claim another address."""
    return request.remote_addr


def check_access() -> Optional[Response]:
    """before_request: load the session, then let the request through, redirect it to sign in,
    or refuse it."""
    if request.endpoint in (None, "static"):
        return None  # Flask answers 404; stylesheet and script need no session (nor a database query)
    view = current_app.view_functions.get(request.endpoint)
    access = access_of(current_app, request.endpoint)
    g.current = sessions().load(request.cookies.get(SESSION_COOKIE),
                                touch=not getattr(view, "passive", False))
    if access == PUBLIC:
        return None
    here = g.current
    if access == SIGNING_IN:
        if here is None or here.record.stage != STAGE_MFA:
            return redirect(url_for("auth.login"))
        return None
    if here is None or here.record.stage != STAGE_ACTIVE:
        return redirect(url_for("auth.login"))
    if not access or here.staff.role not in access:
        abort(403)
    return None


def check_csrf() -> None:
    """before_request: every POST carries the session's token (or, to sign in, the cookie's)."""
    if request.method != "POST" or request.endpoint is None:
        return
    sent = request.form.get("csrf_token", "")
    if g.get("current") is not None:
        expected = g.current.record.csrf_token
    else:
        expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        abort(400, "The form had expired or did not come from this site. Please try again.")


def csrf_token() -> str:
    """For templates: the token a form on this page must send back."""
    if g.get("current") is not None:
        return g.current.record.csrf_token
    if "login_csrf" not in g:
        g.login_csrf = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    return g.login_csrf


def is_https() -> bool:
    """Served over HTTPS: directly, through the trusted proxy's X-Forwarded-Proto, or behind a
    TLS front end the operator declared with an https DASHBOARD_URL."""
    return request.is_secure or current_app.config["DASHBOARD_URL"].startswith("https://")


def set_session_cookie(response: Response, token: str) -> None:
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="Lax", secure=is_https(),
                        path="/")


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="Lax", secure=is_https(), path="/")


def finish_response(response: Response) -> Response:
    """after_request: the login CSRF cookie if a form used it, and the protective headers."""
    if "login_csrf" in g and request.cookies.get(LOGIN_CSRF_COOKIE) != g.login_csrf:
        response.set_cookie(LOGIN_CSRF_COOKIE, g.login_csrf, httponly=True, samesite="Lax",
                            secure=is_https(), path="/")
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    # Case ids are in the address; never send them to another site.
    response.headers["Referrer-Policy"] = "no-referrer"
    if request.endpoint != "static":
        # Personal data must not stay in a shared computer's browser cache.
        response.headers["Cache-Control"] = "no-store"
    if is_https():
        response.headers["Strict-Transport-Security"] = "max-age=31536000"
    return response

