"""Signing curators in and out (Flask-Login), with rate-limited attempts.

A session names the curator and their account's `session_key`: changing the password or removing
the account (`observatory curators passwd/remove`) ends every session signed in before.
"""

from __future__ import annotations

import hmac
import time
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import UserMixin, login_user, logout_user

from indexer.curators import Curator

from .blueprint import bp, stores
from .forms import SignInForm


class SignedIn(UserMixin):
    def __init__(self, curator: Curator):
        self.name = curator.name
        self.id = f"{curator.name}:{curator.session_key}"


def load_user(user_id: str) -> SignedIn | None:
    name, _, key = user_id.partition(":")
    curator = stores().curators.get(name)
    if curator is None or not hmac.compare_digest(curator.session_key, key):
        return None
    return SignedIn(curator)


@bp.record_once
def _loads_curators(state) -> None:
    state.app.login_manager.user_loader(load_user)


def _safe_next(target: str | None) -> str:
    """Only a path of this site's curators' screens: a sign-in link must not send anyone elsewhere."""
    parts = urlsplit(target or "")
    if (
        target is None
        or parts.scheme
        or parts.netloc
        or not parts.path.startswith("/curate")
        or target.startswith("//")
    ):
        return url_for("curate.dashboard")
    return target


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    form = SignInForm()
    failed = False
    if request.method == "POST":
        limiter, config = stores().limiter, current_app.config
        with (
            limiter.limit(config["CURATE_SIGN_IN_LIMIT"]),
            limiter.limit(config["CURATE_SIGN_IN_LIMIT_PER_NAME"], key_func=lambda: f"name:{form.name.data}"),
        ):
            if form.validate_on_submit():
                curator = stores().curators.authenticate((form.name.data or "").strip(), form.password.data or "")
                if curator is not None:
                    session.clear()  # nothing of a session from before signing in is kept (fixation)
                    login_user(SignedIn(curator))
                    session["signed_in_at"] = time.time()
                    return redirect(_safe_next(request.args.get("next")), code=303)
                failed = True
    return render_template("curate/sign_in.html", form=form, failed=failed), 401 if failed else 200


@bp.post("/sign-out")
def sign_out():
    logout_user()
    session.clear()
    flash("You are signed out.")
    return redirect(url_for("curate.sign_in"), code=303)
