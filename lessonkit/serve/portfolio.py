"""``/lessonkit/my-work.html``: "Download my work", the signed-in student's portfolio.

The student is the one the server names (roster sign-in, trusted proxy, the machine's own
user), never one a request names: there is no parameter to ask for another student's work.
The lessons are read from the pages being served (their sealed lessons), so nothing of the
teacher's sources, answers included, is in reach of this handler; the events come from the
store the server's kernels write to (``LESSONKIT_DB``).
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from tornado import web

from lessonkit.format import blob

__all__ = ["PORTFOLIO_URL", "PortfolioHandler", "handlers", "served_lessons"]

PORTFOLIO_URL = "/lessonkit/my-work.html"


def served_lessons(root: Path, pages: Iterable[str]) -> list[dict[str, Any]]:
    """The sealed lesson of each served page (a page's one cell calls ``start_page(<blob>)``)."""
    lessons = []
    for relative in pages:
        notebook = json.loads((root / relative).read_text(encoding="utf-8"))
        for cell in notebook.get("cells", ()):
            source = "".join(cell.get("source", ""))
            if "start_page(" in source:
                call = ast.parse(source).body[-1].value  # type: ignore[attr-defined]
                lessons.append(blob.decode(ast.literal_eval(call.args[0])))
                break
    return lessons


class PortfolioHandler(web.RequestHandler):
    """GET: the portfolio as an HTML download; a student with no work yet gets a page that says so."""

    def set_default_headers(self) -> None:
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Frame-Options", "DENY")

    def get(self) -> None:
        identity = self.settings["identity_provider"]
        user = identity.get_user(self)
        if user is None:
            return self.redirect(f"/lessonkit/login?{urlencode({'next': PORTFOLIO_URL})}")
        from lessonkit.progress import open_store
        from lessonkit.report.portfolio import (
            PortfolioError,
            build_portfolio,
            render_portfolio,
        )

        lessons = served_lessons(Path(identity.parent.root_dir), self.settings["lessonkit_pages"])
        try:
            with open_store() as store:
                title = next((l["course"]["title"] for l in lessons if l.get("course")), "My lessons")
                portfolio = build_portfolio(store, user.username, lessons, title=title)
        except PortfolioError:
            self.set_status(404)
            return self.finish("<!doctype html><meta charset=utf-8><title>My work</title>"
                               "<p>There is no work of yours here yet: open a lesson, and come back.</p>")
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Content-Disposition", 'attachment; filename="my-work.html"')
        self.finish(render_portfolio(portfolio))


def handlers() -> list[tuple[str, Any]]:
    """What ``serve/app.py`` registers."""
    return [(PORTFOLIO_URL, PortfolioHandler)]
