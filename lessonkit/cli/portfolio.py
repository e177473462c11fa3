"""``lessonkit portfolio``: arguments only; the work is in :mod:`lessonkit.report.portfolio`."""

from __future__ import annotations

import argparse
from pathlib import Path

SUMMARY = "Write one student's own work as a self-contained HTML portfolio (and PDF) they can keep"
DETAILS = ("Lessons done, skills mastered and when, their answers and code, reflections, goals and confidence: "
           "from that student's events only, with no answer key. The file opens offline. With --pdf, a PDF is "
           "printed beside it by headless Chromium when one is installed. Exits 2 when the student has no work in "
           "the lessons or the store cannot be opened.")


def arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("--student", metavar="ID", required=True, help="whose work (their student id)")
    command.add_argument("--store", metavar="URL", default=None,
                         help="the progress store (default: LESSONKIT_DB or the embedded SQLite file)")
    command.add_argument("--lessons", metavar="PATH", default="lessons",
                         help="a course file, or a folder of lessons (its course.toml if it has one; default: lessons)")
    command.add_argument("-o", "--output", metavar="PATH", default="my-work.html",
                         help="where the HTML goes (default: my-work.html)")
    command.add_argument("--pdf", action="store_true", help="also print a PDF beside the HTML (needs Chromium)")


def run(args: argparse.Namespace) -> int:
    from lessonkit.progress import open_store
    from lessonkit.report.portfolio import (
        PortfolioError,
        build_portfolio,
        lessons_at,
        pdf_converter,
        render_portfolio,
        write_pdf,
    )

    if args.store and "://" not in args.store and not Path(args.store).expanduser().exists():
        raise PortfolioError(f"no event store at {args.store}: pass --store the file the class's events are in")
    title, lessons = lessons_at(args.lessons)
    with open_store(args.store) as store:
        portfolio = build_portfolio(store, args.student, lessons, title=title)
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    staged = out.with_name(f".{out.name}.partial")
    staged.write_text(render_portfolio(portfolio), encoding="utf-8")
    staged.replace(out)  # never a half-written portfolio
    print(f"wrote {out}")
    if args.pdf:
        converter = pdf_converter()
        if converter is None:
            print("no PDF: install chromium to print one (or open the HTML and print it from a browser)")
        else:
            print(f"wrote {write_pdf(out, out.with_suffix('.pdf'), converter)}")
    return 0
