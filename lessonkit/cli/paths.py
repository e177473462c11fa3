"""``lessonkit paths``: arguments only; the work is in :mod:`lessonkit.compile.routes`."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from lessonkit.cli.lessons import print_problems

SUMMARY = "Show every route through a lesson, with the checks met and the points attainable on each"
DETAILS = ("Follows each branch rule a student can meet, each choice and each loop as far as its bound, and "
           "says what a student right on every check of the route can earn of the total nbgrader holds "
           "everyone to, and where a student right first time everywhere goes. Exits 1 when a route cannot "
           "reach full marks (or the lesson has errors), 2 when PATH holds no lesson.")


def arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("path", help="a lesson notebook, or a folder searched for lessons")
    command.add_argument("--json", action="store_true", help="print the routes as JSON, one object per lesson")


def run(args: argparse.Namespace) -> int:
    from lessonkit.compile import discover
    from lessonkit.compile.routes import route_listing
    from lessonkit.format.reader import parse_lesson

    paths = discover(args.path)
    if not paths:
        raise FileNotFoundError(f"{args.path}: no lesson notebooks found")
    failed = False
    for path in paths:
        lesson, problems = parse_lesson(path)
        errors = [p for p in problems if p.severity == "error"]
        if lesson is None or errors:
            print(f"{path}: cannot follow its routes until these are fixed", file=sys.stderr)
            print_problems(errors)
            failed = True
            continue
        listing = route_listing(lesson)
        short = [r for r in listing["routes"] if r["ending"] == "end" and r["short"]] or listing["problems"]
        failed = failed or bool(short)
        print(json.dumps({"path": str(path), **listing}, indent=2) if args.json else _text(str(path), listing))
    return 1 if failed else 0


def _text(path: str, listing: dict[str, Any]) -> str:
    routes = listing["routes"]
    top = listing["maximum"]
    lines = [f"{path}: lesson '{listing['lesson']}', {len(routes)} routes"
             + (" (more not shown)" if listing["cut_short"] else "") + f", {top:g} points in all"]
    for n, route in enumerate(routes, 1):
        lines.append(f"\n  route {n}: {route['route']}")
        lines.append(f"    checks met: {', '.join(route['checks']) or 'none'}")
        if route["mastered"]:
            lines.append(f"    mastered by a student right on each: {', '.join(route['mastered'])}")
        if route["ending"] == "end":
            missing = "; misses " + ", ".join(f"'{k}' ({v:g})" for k, v in route["short"].items()) if route["short"] else ""
            lines.append(f"    {route['points']:g} of {top:g} points{missing}")
        else:
            lines.append("    a loop: the student may go round again (it is bounded by its rules)")
    lines.append("\n  a student right first time everywhere goes:")
    lines += [f"    {' → '.join(steps)}" for steps in listing["perfect"]]
    lines += [f"  problem: {message}" for message in listing["problems"]]
    return "\n".join(lines)
