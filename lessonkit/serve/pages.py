"""The few pages lessonkit serve shows itself: sign-in and a student's home.

Plain HTML with its style inline: the server may have no network, and a page that pulls a
stylesheet from a CDN would also tell the CDN who studies what.
"""

from __future__ import annotations

from html import escape
from typing import Sequence

_STYLE = """
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;background:#f3f5f8}
header{background:#1f4e79;color:#fff;padding:14px 28px;display:flex;justify-content:space-between;align-items:center}
header b{font-size:18px;letter-spacing:.3px}
header form{margin:0}
header .who{display:flex;gap:14px;align-items:center}
main{max-width:520px;margin:48px auto;padding:0 16px}
.card{background:#fff;border:1px solid #d5dbe3;border-radius:10px;padding:28px 32px;box-shadow:0 1px 3px rgba(0,0,0,.06)}
h1{font-size:24px;margin:0 0 6px}
p.lead{margin:0 0 22px;color:#4a5560}
label{display:block;font-weight:600;margin:14px 0 6px}
input[type=text],input[type=password]{width:100%;padding:10px 12px;font-size:16px;border:1px solid #8a96a3;border-radius:6px}
input:focus{outline:3px solid #9cc3ea;border-color:#1f4e79}
button{margin-top:22px;width:100%;padding:11px;font:inherit;font-size:16px;font-weight:600;color:#fff;background:#1f4e79;
 border:0;border-radius:6px;cursor:pointer}
button:hover{background:#173b5c}
header button{margin:0;width:auto;padding:6px 14px;font-size:14px;background:#fff;color:#1f4e79}
.error{background:#fdecea;color:#8a1c12;border:1px solid #f2b8b0;border-radius:6px;padding:10px 12px;margin-bottom:8px}
ul.lessons{list-style:none;margin:0;padding:0}
ul.lessons li{border-top:1px solid #e3e7ed}
ul.lessons li:first-child{border-top:0}
ul.lessons a{display:block;padding:14px 4px;color:#1f4e79;font-weight:600;text-decoration:none;font-size:17px}
ul.lessons a:hover{text-decoration:underline}
"""


def _page(title: str, body: str, header: str = "") -> str:
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f"<title>{escape(title)} · lessonkit</title><style>{_STYLE}</style></head>"
            f"<body><header><b>lessonkit</b>{header}</header><main>{body}</main></body></html>")


def login_page(xsrf_form: str, *, next_url: str, name: str = "", error: str = "", available: bool = True) -> str:
    """The sign-in form (``xsrf_form`` is tornado's hidden field; ``available`` False when there is no roster)."""
    if not available:
        body = ('<div class="card"><h1>Sign-in is not set up here</h1><p class="lead">This server takes students '
                "only through the school's sign-in. Open the lesson link your teacher gave you.</p></div>")
        return _page("Sign in", body)
    problem = f'<div class="error" role="alert">{escape(error)}</div>' if error else ""
    body = (f'<div class="card"><h1>Sign in</h1><p class="lead">Use the name and password your teacher gave you.</p>'
            f'{problem}<form method="post" action="/lessonkit/login">{xsrf_form}'
            f'<input type="hidden" name="next" value="{escape(next_url)}">'
            f'<label for="name">Name</label><input id="name" name="name" type="text" value="{escape(name)}" '
            f'autocomplete="username" autocapitalize="off" spellcheck="false" required autofocus>'
            f'<label for="password">Password</label><input id="password" name="password" type="password" '
            f'autocomplete="current-password" required><button type="submit">Sign in</button></form></div>')
    return _page("Sign in", body)


def home_page(student: str, lessons: Sequence[tuple[str, str]], xsrf_form: str, *, can_sign_out: bool) -> str:
    """A signed-in student's lessons, as (URL, title) pairs."""
    sign_out = (f'<form method="post" action="/lessonkit/logout">{xsrf_form}'
                f'<button type="submit">Sign out</button></form>') if can_sign_out else ""
    items = "".join(f'<li><a href="{escape(url)}">{escape(title)}</a></li>' for url, title in lessons)
    body = (f'<div class="card"><h1>Your lessons</h1><p class="lead">Signed in as <b>{escape(student)}</b>. '
            f'Your work is saved as you go; come back any time.</p><ul class="lessons">{items}</ul></div>')
    return _page("Your lessons", body, f'<div class="who"><span>{escape(student)}</span>{sign_out}</div>')
