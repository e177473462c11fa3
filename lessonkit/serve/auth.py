"""Who a request is from, decided by the server before a page's kernel starts.

A page's kernel trusts the identity header Voila copies into its environment
(``http_header_envs``), so the header that reaches Voila must be one lessonkit put there:
:meth:`LessonkitIdentity.get_user` runs in every Voila handler's ``prepare``, before the
page handler copies headers, and replaces whatever the browser sent with the verified
student (a signed session cookie, or the header of a trusted proxy's address).  Not in
the prelaunch hook: Voila 0.5 copies the headers for the kernel before it calls the hook,
so scrubbing there would be too late.  The page handler (:mod:`lessonkit.serve.kernels`) then refuses any notebook that is not a
built page, and ties the page's kernel to its student.  A member's role (student or teacher)
comes from the roster, whatever said who they are: :func:`require_teacher` is the one check
every teacher-only handler makes.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from jupyter_server.auth.identity import IdentityProvider, User
from tornado import web

from lessonkit.serve import pages
from lessonkit.serve.roster import Roster

COOKIE = "lessonkit-session"
SESSION_DAYS = 14
LOGIN_URL = "/lessonkit/login"
JOIN_URL = "/lessonkit/join"
#: Failed sign-ins allowed per address and name in ``FAILURE_WINDOW`` seconds, before a pause.
FAILURES_ALLOWED = 5
FAILURE_WINDOW = 300.0


class LessonkitIdentity(IdentityProvider):
    """Voila's identity provider for lessonkit serve; ``parent`` is the :class:`~lessonkit.serve.app.LessonkitVoila`."""

    @property
    def auth_enabled(self) -> bool:
        return True

    def roster(self) -> Roster | None:
        return Roster(self.parent.roster) if self.parent.roster else None

    def session_student(self, handler: web.RequestHandler) -> str | None:
        """The student of a valid, unexpired session cookie who is still on the roster."""
        roster = self.roster()
        value = handler.get_signed_cookie(COOKIE, max_age_days=SESSION_DAYS) if roster else None
        name = value.decode() if value else None
        return name if name and roster.has(name) else None

    def from_trusted_proxy(self, handler: web.RequestHandler) -> bool:
        # the socket's peer: Voila leaves tornado's xheaders off, so X-Forwarded-For cannot pose as a proxy
        return handler.request.remote_ip in self.parent.trusted_proxies

    def get_user(self, handler: web.RequestHandler) -> User | None:
        app = self.parent
        headers = handler.request.headers
        proxied = headers.get(app.identity_header) if self.from_trusted_proxy(handler) else None
        name = (proxied or "").strip() or self.session_student(handler) or app.open_user or None
        if name is None:  # Jupyter's prepare sends the request to sign in: no kernel sees its headers
            headers.pop(app.identity_header, None)
            return None
        headers[app.identity_header] = name  # replaces every copy the browser sent
        return User(username=name)

    def is_teacher(self, name: str) -> bool:
        """A teacher is a roster member marked so (``lessonkit class add NAME --teacher``), however they signed in."""
        roster = self.roster()
        member = roster.member(name) if roster else None
        return bool(member and member.teacher)

    def get_handlers(self) -> list[tuple[str, Any]]:
        return [(LOGIN_URL, LoginHandler), (JOIN_URL, JoinHandler), ("/lessonkit/logout", LogoutHandler)]


class PlainHandler(web.RequestHandler):
    """Plain tornado handlers: Jupyter's ``prepare`` would demand the sign-in they provide."""

    @property
    def identity(self) -> LessonkitIdentity:
        return self.settings["identity_provider"]

    def set_default_headers(self) -> None:
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Frame-Options", "DENY")  # no sign-in form inside someone else's page

    def safe_next(self) -> str:
        """Where to go after signing in: a path on this server only, never another site."""
        target = self.get_argument("next", "/")
        return target if target.startswith("/") and not target.startswith(("//", "/\\")) else "/"

    def signed_in(self) -> User:
        """The verified user; anyone else is sent to sign in (and the handler stops)."""
        user = self.identity.get_user(self)
        if user is None:
            self.redirect(f"{LOGIN_URL}?{urlencode({'next': self.request.uri or '/'})}")
            raise web.Finish()
        return user


def require_teacher(handler: web.RequestHandler) -> User:
    """The teacher a teacher-only request is from; a student gets 403, nobody is sent to sign in.

    Works in any handler of this server (plain tornado or Jupyter's): who the user is comes
    from :class:`LessonkitIdentity` as for every page, the role from the roster.
    """
    identity: LessonkitIdentity = handler.settings["identity_provider"]
    user = identity.get_user(handler)
    if user is None:
        if handler.request.method in ("GET", "HEAD"):
            handler.redirect(f"{LOGIN_URL}?{urlencode({'next': handler.request.uri or '/'})}")
            raise web.Finish()
        raise web.HTTPError(403)
    if not identity.is_teacher(user.username):
        raise web.HTTPError(403, "teachers only")
    return user


class _SignInForm(PlainHandler):
    """What the password form and the join-code form share: XSRF, the pause after failures, the cookie."""

    def roster_or_404(self) -> Roster:
        self.check_xsrf_cookie()  # tornado checks it only for apps with xsrf_cookies, Voila's has not
        roster = self.identity.roster()
        if roster is None:
            raise web.HTTPError(404)
        return roster

    def paused(self, roster: Roster, key: str) -> bool:
        # kept in the roster file: a restart of the server is no way around the pause
        return roster.recent_failures(key, FAILURE_WINDOW) >= FAILURES_ALLOWED

    def start_session(self, name: str) -> None:
        # behind a TLS proxy the request reaching here is plain HTTP: the proxy says what the browser used
        https = self.request.protocol == "https" or (self.identity.from_trusted_proxy(self) and
                                                     self.request.headers.get("X-Forwarded-Proto") == "https")
        self.set_signed_cookie(COOKIE, name, expires_days=SESSION_DAYS, httponly=True, samesite="Lax", secure=https)
        self.redirect(self.safe_next())


class LoginHandler(_SignInForm):
    def get(self) -> None:
        self.write(pages.login_page(self.xsrf_form_html(), next_url=self.safe_next(),
                                    available=self.identity.roster() is not None))

    def post(self) -> None:
        roster = self.roster_or_404()
        name, password = self.get_argument("name", "").strip(), self.get_argument("password", "")
        key = f"{self.request.remote_ip or ''} {name.lower()}"
        if self.paused(roster, key):
            self.set_status(429)
            return self._again(name, "Too many wrong passwords. Wait five minutes, or ask your teacher.")
        member = roster.verify(name, password)
        if member is None:
            roster.record_failure(key)
            self.set_status(403)
            return self._again(name, "That name and password do not match. Check them and try again.")
        self.start_session(member.name)

    def _again(self, name: str, error: str) -> None:
        self.write(pages.login_page(self.xsrf_form_html(), next_url=self.safe_next(), name=name, error=error))


class JoinHandler(_SignInForm):
    """``/lessonkit/join``: sign in once with a join code from the teacher (the code is then spent)."""

    def get(self) -> None:
        if self.identity.roster() is None:
            raise web.HTTPError(404)
        self.write(pages.join_page(self.xsrf_form_html(), next_url=self.safe_next()))

    def post(self) -> None:
        roster = self.roster_or_404()
        key = f"{self.request.remote_ip or ''} join-code"
        if self.paused(roster, key):
            self.set_status(429)
            return self._again("Too many wrong codes. Wait five minutes, or ask your teacher.")
        member = roster.redeem_join_code(self.get_argument("code", ""))
        if member is None:
            roster.record_failure(key)
            self.set_status(403)
            return self._again("That code does not work: it may be mistyped, used already, or too old.")
        self.start_session(member.name)

    def _again(self, error: str) -> None:
        self.write(pages.join_page(self.xsrf_form_html(), next_url=self.safe_next(), error=error))


class LogoutHandler(PlainHandler):
    def post(self) -> None:
        self.check_xsrf_cookie()  # else any site could sign a student out
        self.clear_cookie(COOKIE)
        self.redirect(LOGIN_URL)
