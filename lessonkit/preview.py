"""What a teacher sees when running a lesson source: a readable summary of each call.

Kept free of widgets so that running a lesson source is cheap; answers are shown because
only the teacher runs the source.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Preview:
    call: str
    args: dict[str, Any]

    def _repr_html_(self) -> str:
        args = {k: v for k, v in self.args.items() if v not in (None, [], {}, "")}
        title = {"lesson": "Lesson", "step": "Step", "check": "Check", "branch": "Branch", "choose": "Choice",
                 "reflect": "Reflection"}[self.call]
        name = args.pop("id", "")
        body = html.escape(json.dumps(args, indent=2, ensure_ascii=False, default=str))
        return (f'<div style="border-left:4px solid #3b6ea5;padding:4px 10px;background:#f3f7fb">'
                f"<b>lessonkit {title}</b> <code>{html.escape(str(name))}</code>"
                f'<details><summary>fields (teacher view)</summary><pre>{body}</pre></details></div>')

    def __repr__(self) -> str:
        return f"lessonkit {self.call} {self.args.get('id', '')}".rstrip()
