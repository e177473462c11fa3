"""The few pages lessonkit serve shows itself: sign-in, join code, a student's home, the teacher's class.

Plain HTML with its style inline: the server may have no network, and a page that pulls a
stylesheet from a CDN would also tell the CDN who studies what.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from lessonkit.serve.standing import Standing

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
main.wide{max-width:980px}
.lesson-row{display:flex;justify-content:space-between;gap:16px;align-items:center;padding:14px 4px}
.lesson-row a.title{padding:0}
.meta{color:#4a5560;font-size:14px;margin-top:2px}
.bar{width:140px;flex:none;height:10px;background:#e3e7ed;border-radius:5px;overflow:hidden}
.bar span{display:block;height:100%;background:#2e7d4f}
.pct{font-size:14px;color:#1b1f24;width:44px;text-align:right;flex:none}
.due{display:inline-block;background:#fff4d6;color:#6b4e00;border:1px solid #e8d08a;border-radius:12px;padding:1px 9px;
 font-size:13px;margin-top:4px}
.detour{display:inline-block;background:#e8f0fa;color:#1f4e79;border-radius:12px;padding:1px 9px;font-size:13px}
a.secondary{color:#1f4e79}
table{border-collapse:collapse;width:100%;font-size:15px}
th,td{text-align:left;padding:9px 10px;border-top:1px solid #e3e7ed;vertical-align:top}
th{background:#f3f5f8;font-weight:600}
td .bar{width:90px;display:inline-block;vertical-align:middle;margin-right:6px}
.muted{color:#4a5560}
"""


def page(title: str, body: str, header: str = "", *, wide: bool = False) -> str:
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f"<title>{escape(title)} · lessonkit</title><style>{_STYLE}</style></head>"
            f"<body><header><b>lessonkit</b>{header}</header>"
            f'<main{" class=wide" if wide else ""}>{body}</main></body></html>')


def who_header(name: str, xsrf_form: str, *, can_sign_out: bool) -> str:
    sign_out = (f'<form method="post" action="/lessonkit/logout">{xsrf_form}'
                f'<button type="submit">Sign out</button></form>') if can_sign_out else ""
    return f'<div class="who"><span>{escape(name)}</span>{sign_out}</div>'


def _form_page(title: str, lead: str, xsrf_form: str, action: str, next_url: str, fields: str, error: str,
               footer: str = "") -> str:
    problem = f'<div class="error" role="alert">{escape(error)}</div>' if error else ""
    body = (f'<div class="card"><h1>{escape(title)}</h1><p class="lead">{escape(lead)}</p>'
            f'{problem}<form method="post" action="{action}">{xsrf_form}'
            f'<input type="hidden" name="next" value="{escape(next_url)}">{fields}'
            f'<button type="submit">{escape(title)}</button></form>{footer}</div>')
    return page(title, body)


def login_page(xsrf_form: str, *, next_url: str, name: str = "", error: str = "", available: bool = True) -> str:
    """The sign-in form (``xsrf_form`` is tornado's hidden field; ``available`` False when there is no roster)."""
    if not available:
        body = ('<div class="card"><h1>Sign-in is not set up here</h1><p class="lead">This server takes students '
                "only through the school's sign-in. Open the lesson link your teacher gave you.</p></div>")
        return page("Sign in", body)
    fields = (f'<label for="name">Name</label><input id="name" name="name" type="text" value="{escape(name)}" '
              f'autocomplete="username" autocapitalize="off" spellcheck="false" required autofocus>'
              f'<label for="password">Password</label><input id="password" name="password" type="password" '
              f'autocomplete="current-password" required>')
    footer = '<p class="meta">Got a join code from your teacher? <a class="secondary" href="/lessonkit/join">Use it here</a>.</p>'
    return _form_page("Sign in", "Use the name and password your teacher gave you.", xsrf_form, "/lessonkit/login",
                      next_url, fields, error, footer)


def join_page(xsrf_form: str, *, next_url: str, error: str = "") -> str:
    """The join-code form: a code from the teacher signs the student in once."""
    fields = ('<label for="code">Join code</label><input id="code" name="code" type="text" autocomplete="one-time-code" '
              'autocapitalize="off" spellcheck="false" placeholder="abcde-fghjk" required autofocus>')
    return _form_page("Join", "Type the code on the card your teacher gave you. It works once.", xsrf_form,
                      "/lessonkit/join", next_url, fields, error)


def progress_bar(percent: int) -> str:
    return (f'<span class="bar" role="progressbar" aria-valuenow="{percent}" aria-valuemin="0" aria-valuemax="100" '
            f'aria-label="progress"><span style="width:{percent}%"></span></span>')


def _ago(moment: float | None) -> str:
    if moment is None:
        return "never"
    minutes = max(0, int((time.time() - moment) // 60))
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min ago"
    hours = minutes // 60
    return f"{hours} h ago" if hours < 48 else f"{hours // 24} days ago"


def where_left_off(item: Standing) -> str:
    if item.finished:
        return "Finished"
    if not item.started:
        return "Not started yet"
    detour = f' <span class="detour">{escape(item.detour)}</span>' if item.detour else ""
    return f"Left off at <b>{escape(item.current_step)}</b>{detour}"


def teacher_page(teacher: str, catalog: Mapping[str, Mapping[str, Any]], rows: Mapping[str, Sequence[Standing]],
                 xsrf_form: str, *, can_sign_out: bool) -> str:
    """The class: one row per student, one column per lesson (progress, where they are, checks, flags)."""
    head = "".join(f'<th scope="col">{escape(entry["title"])}</th>' for entry in catalog.values())
    body_rows = []
    for student, standings in rows.items():
        cells = []
        for item in standings:
            flags = f' · <b>{item.flags} flag{"s" if item.flags != 1 else ""}</b>' if item.flags else ""
            cells.append(f"<td>{progress_bar(item.percent)}{item.percent}%<div class='meta'>{where_left_off(item)}</div>"
                         f"<div class='meta'>checks {item.checks_correct}/{item.checks_tried} right{flags}</div></td>")
        last = max((item.last_active for item in standings if item.last_active), default=None)
        body_rows.append(f'<tr><th scope="row">{escape(student)}</th>{"".join(cells)}'
                         f'<td class="muted">{_ago(last)}</td></tr>')
    table = (f'<table><thead><tr><th scope="col">Student</th>{head}<th scope="col">Last active</th></tr></thead>'
             f'<tbody>{"".join(body_rows)}</tbody></table>') if rows else '<p class="lead">No students yet.</p>'
    body = (f'<div class="card"><h1>Your class</h1><p class="lead">{len(rows)} student(s). '
            f'<a class="secondary" href="/">Your own lessons</a></p>{table}</div>')
    return page("Your class", body, who_header(teacher, xsrf_form, can_sign_out=can_sign_out), wide=True)
