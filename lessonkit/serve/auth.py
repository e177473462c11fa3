"""Who a request is from, decided by the server before a page's kernel starts.

A page's kernel trusts the identity header Voila copies into its environment
(``http_header_envs``), so the header that reaches Voila must be one lessonkit put there:
:meth:`LessonkitIdentity.get_user` runs in every Voila handler's ``prepare``, before the
page handler copies headers, and replaces whatever the browser sent with the verified
student (a signed session cookie, or the header of a trusted proxy's address).  Not in
the prelaunch hook: Voila 0.5 copies the headers for the kernel before it calls the hook,
so scrubbing there would be too late.  The Voila ``prelaunch_hook`` then refuses any kernel for a notebook that is not a built page,
or whose header is not the verified student.
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from typing import Any
from urllib.parse import urlencode

from jupyter_server.auth.identity import IdentityProvider, User
from tornado import web

from lessonkit.serve import pages
from lessonkit.serve.portfolio import PORTFOLIO_URL, PortfolioHandler
from lessonkit.serve.roster import Roster

COOKIE = "lessonkit-session"
SESSION_DAYS = 14
LOGIN_URL = "/lessonkit/login"
#: Failed sign-ins allowed per address and name in ``FAILURE_WINDOW`` seconds, before a pause.
FAILURES_ALLOWED = 5
FAILURE_WINDOW = 300.0


class FailedLogins:
    """Recent failed sign-ins by (address, name): enough to make guessing a password slow,
    not a lockout anyone can impose on a classmate from another machine."""

    def __init__(self) -> None:
        self._times: dict[tuple[str, str], deque[float]] = defaultdict(deque)

    def blocked(self, key: tuple[str, str]) -> bool:
        times = self._times[key]
        while times and times[0] < time.monotonic() - FAILURE_WINDOW:
            times.popleft()
        return len(times) >= FAILURES_ALLOWED

    def record(self, key: tuple[str, str]) -> None:
        self._times[key].append(time.monotonic())


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
            return None
        headers[app.identity_header] = name  # replaces every copy the browser sent
        return User(username=name)

    def get_handlers(self) -> list[tuple[str, Any]]:
        return [(LOGIN_URL, LoginHandler), ("/lessonkit/logout", LogoutHandler), ("/", HomeHandler),
                (PORTFOLIO_URL, PortfolioHandler)]  # "Download my work" (serve/portfolio.py)


class _Handler(web.RequestHandler):
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


class LoginHandler(_Handler):
    failures = FailedLogins()

    def get(self) -> None:
        self.write(pages.login_page(self.xsrf_form_html(), next_url=self.safe_next(),
                                    available=self.identity.roster() is not None))

    def post(self) -> None:
        self.check_xsrf_cookie()  # tornado checks it only for apps with xsrf_cookies, Voila's has not
        roster = self.identity.roster()
        if roster is None:
            raise web.HTTPError(404)
        name, password = self.get_argument("name", "").strip(), self.get_argument("password", "")
        key = (self.request.remote_ip or "", name.lower())
        if self.failures.blocked(key):
            self.set_status(429)
            return self._again(name, "Too many wrong passwords. Wait five minutes, or ask your teacher.")
        member = roster.verify(name, password)
        if member is None:
            self.failures.record(key)
            self.set_status(403)
            return self._again(name, "That name and password do not match. Check them and try again.")
        # behind a TLS proxy the request reaching here is plain HTTP: the proxy says what the browser used
        https = self.request.protocol == "https" or (self.identity.from_trusted_proxy(self) and
                                                     self.request.headers.get("X-Forwarded-Proto") == "https")
        self.set_signed_cookie(COOKIE, member.name, expires_days=SESSION_DAYS, httponly=True, samesite="Lax",
                               secure=https)
        self.redirect(self.safe_next())

    def _again(self, name: str, error: str) -> None:
        self.write(pages.login_page(self.xsrf_form_html(), next_url=self.safe_next(), name=name, error=error))


class LogoutHandler(_Handler):
    def post(self) -> None:
        self.check_xsrf_cookie()  # else any site could sign a student out
        self.clear_cookie(COOKIE)
        self.redirect(LOGIN_URL)


class HomeHandler(_Handler):
    """``/``: the signed-in student's lessons (in place of Voila's file tree)."""

    def get(self) -> None:
        user = self.identity.get_user(self)
        if user is None:
            return self.redirect(f"{LOGIN_URL}?{urlencode({'next': '/'})}")
        lessons = [(f"/voila/render/{path}", title) for path, title in self.settings["lessonkit_pages"].items()]
        self.write(pages.home_page(user.username, lessons, self.xsrf_form_html(),
                                   can_sign_out=self.identity.session_student(self) is not None))


def prelaunch_hook(handler: web.RequestHandler, notebook: Any, cwd: str) -> None:
    """Voila's last word before a kernel starts: only a built page, only for its verified student."""
    path = handler.path_args[0] if handler.path_args else ""
    if path not in handler.settings["lessonkit_pages"]:
        raise web.HTTPError(404)  # a student notebook, or anything else in the build folder
    header = handler.settings["identity_provider"].parent.identity_header
    if handler.current_user is None or handler.request.headers.get(header) != handler.current_user.username:
        raise web.HTTPError(403)

