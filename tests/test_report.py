"""The class report from a simulated class driven through the real player session: four
populations (diligent, struggling, hint gamers, rapid guessers) write their events to a real
SQLite store and a real PostgreSQL; the report must find the struggling students, group the
class, count the checks as a hand count does, stay self-contained and escaped, render in
Chromium, and run from the command line."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser

import pytest
from browser import serious_accessibility_violations
from test_player_lesson import Clock, build, subprocess_env

from lessonkit.player.identity import Identity
from lessonkit.player.session import Session
from lessonkit.progress import open_store
from lessonkit.report import FeedbackFired, build_report, render_html, summary, write_html

CELLS = [
    ("code", '''import lessonkit as lk
lk.lesson(id="fractions", title="Adding fractions", version="1",
    skills={"like": {"name": "Like denominators"}, "unlike": {"name": "Unlike denominators", "requires": ["like"]}},
    mastery={"threshold": 0.9, "min_evidence": 2, "max_items": 6})'''),
    ("code", 'lk.step("like-practice", kind="check", title="Like denominators")'),
    ("code", '''lk.check(id="add-like", kind="numeric", prompt="{a}/{d} + {b}/{d} = ? (as a decimal)",
    answer="(a + b) / d", tolerance={"abs": 0.005}, skills=["like"],
    hints=["Add the top numbers.", {"text": "(top + top) / bottom", "bottom_out": True}],
    feedback=[{"answer": 0.0, "message": "Zero? Add the top numbers."}],
    variants={"count": 12, "params": {"a": [1, 2, 3, 4], "b": [1, 2, 3], "d": [7, 11, 13]}})'''),
    ("code", '''lk.branch(rules=[{"if": "mastered('like')", "goto": "unlike-practice"},
    {"if": "needs_remediation('like')", "goto": "reteach"}, {"goto": "like-practice"}])'''),
    ("code", 'lk.step("reteach", kind="remediation", title="Same bottoms")'),
    ("markdown", "Keep the bottom number; add the top numbers."),
    ("code", '''lk.check(id="name-bottom", kind="text", prompt="What is the bottom number of a fraction called?",
    answers=["denominator", "the denominator"], skills=["like"])'''),
    ("code", 'lk.branch(rules=[{"goto": "like-practice"}])'),
    ("code", 'lk.step("unlike-practice", kind="check", title="Unlike denominators")'),
    ("code", '''lk.check(id="add-unlike", kind="numeric", prompt="1/{a} + 1/{b} = ? (as a decimal)",
    answer="1/a + 1/b", tolerance={"abs": 0.005}, skills=["unlike"],
    variants={"count": 12, "params": {"a": [2, 3, 4], "b": [5, 6, 8, 10]}})'''),
    ("code", '''lk.branch(rules=[{"if": "mastered('unlike')", "goto": "done"}, {"goto": "unlike-practice"}])'''),
    ("code", 'lk.step("done", kind="end", title="Done")'),
]

DILIGENT = ("ada", "ben", "cy")
STRUGGLING = ("dan", "eve")
GAMERS = ("fay", "gus")
GUESSERS = ("hal", "ivy")
XSS = "<script>alert(1)</script>"


def right(session: Session, check: str) -> str:
    n = list(map(int, re.findall(r"\d+", session.item(check)[1]["prompt"])))
    return f"{(n[0] + n[2]) / n[1]:.4f}" if check == "add-like" else f"{1 / n[1] + 1 / n[3]:.4f}"


def diligent(s: Session, clock: Clock) -> None:
    while not s.finished:
        check = "add-like" if s.current_step == "like-practice" else "add-unlike"
        clock.tick()
        s.answer(check, right(s, check))
        clock.tick()
        s.go(s.route())


def struggling(s: Session, clock: Clock) -> None:
    """The injected misconception: the sum is zero.  Six items reach the escape hatch; in
    remediation a hostile answer; then two more wrong answers back in practice."""
    for _ in range(8):
        clock.tick(40)
        s.answer("add-like", "0")
        clock.tick()
        s.go(s.route())
        if s.current_step == "reteach":
            clock.tick(60)
            s.answer("name-bottom", XSS)
            clock.tick()
            s.go(s.route())


def hint_gamer(s: Session, clock: Clock) -> None:
    """Clicks straight through the hint ladder to the bottom-out hint, then copies its answer."""
    clock.tick()
    s.reveal_hint("add-like")
    clock.tick(2)
    s.reveal_hint("add-like")
    clock.tick(5)
    s.answer("add-like", right(s, "add-like"))


def rapid_guesser(s: Session, clock: Clock) -> None:
    """Four quick identical guesses (the first is not yet guess-like), then the right answer."""
    for _ in range(4):
        clock.tick(2)
        s.answer("add-like", "1")
    clock.tick()
    s.answer("add-like", right(s, "add-like"))


POPULATIONS = {**dict.fromkeys(DILIGENT, diligent), **dict.fromkeys(STRUGGLING, struggling),
               **dict.fromkeys(GAMERS, hint_gamer), **dict.fromkeys(GUESSERS, rapid_guesser)}


def simulate(sealed: dict, url: str) -> None:
    store = open_store(url)
    for n, (student, behave) in enumerate(POPULATIONS.items()):
        clock = Clock(1_750_000_000.0 + n)
        session = Session(sealed, Identity(student, "header"), store, clock=clock)
        session.start()
        behave(session, clock)
    store.close()


@pytest.fixture(scope="module")
def sealed(tmp_path_factory):
    return build(tmp_path_factory.mktemp("lesson"), CELLS).sealed


@pytest.fixture(scope="module")
def sqlite_url(sealed, tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('store') / 'progress.sqlite'}"
    simulate(sealed, url)
    return url


@pytest.fixture(scope="module")
def report(sqlite_url):
    return build_report(sqlite_url, "fractions")


def first_answers(url: str, check: str) -> dict[str, tuple[bool, object]]:
    """A hand count, straight from the store: each student's attempt-1 answer to a check."""
    with open_store(url) as store:
        return {e.student_id: (e.data["correct"], e.data["answer"]) for e in store.lesson_events("fractions")
                if e.type == "answered" and e.check_id == check and e.data["attempt"] == 1}


def test_needs_help_names_the_struggling_students_and_what_to_do(report):
    helped = {h.student: h for h in report.needs_help}
    assert set(STRUGGLING) <= set(helped)
    assert not set(DILIGENT) & set(helped)
    for student in STRUGGLING:
        h = helped[student]
        assert h.skill == "like" and h.check == "add-like"
        assert any(e.startswith("escape hatch on like: 6 items without mastery") for e in h.evidence)
        assert any("none correct" in e for e in h.evidence)
        assert any("'reteach'" in s for s in h.suggestions)  # the lesson's remediation step, seen in the log
        assert any(re.search(r"pair them with (ada|ben|cy)\b", s) for s in h.suggestions)
    peers = {s for h in report.needs_help for s in h.suggestions if s.startswith("pair")}
    assert len(peers) == 2  # two struggling students, two different peers


def test_groups_split_the_class_by_mastery(report):
    groups = {g.title: set(g.members) for g in report.groups}
    assert groups["Ready for enrichment"] == set(DILIGENT)
    assert groups["Reteach like"] == set(STRUGGLING)
    assert groups["Still practising"] == set(GAMERS) | set(GUESSERS)
    assert report.grid["ada"]["unlike"].status == "mastered"
    assert report.grid["dan"]["unlike"].status == "not started"
    assert report.grid["fay"]["like"].status == "practising"


def test_per_check_figures_match_a_hand_count(report, sqlite_url):
    firsts = first_answers(sqlite_url, "add-like")
    assert len(firsts) == 9
    [like] = [c for c in report.checks if c.check_id == "add-like"]
    assert like.students == 9 and like.skill == "like"
    assert like.first_attempt_facility == pytest.approx(sum(c for c, _ in firsts.values()) / 9)
    assert like.first_attempt_facility == pytest.approx(5 / 9)  # diligent and gamers right first time
    assert like.wrong_answers[0] == ("0", 2 * 8)  # the injected misconception, eight times each
    assert like.wrong_answers[1] == ("1", 2 * 4)
    # "0" has the teacher's feedback (entry 0 of the check's feedback=[...]); "1" has none
    assert like.feedback_fired == (FeedbackFired(0, 2 * 8, "0"),)
    assert like.hint_rate == pytest.approx(2 / 9) and like.bottom_out_rate == pytest.approx(2 / 9)
    assert like.discrimination is not None and like.discrimination > 0.5  # the diligent do well overall
    [unlike] = [c for c in report.checks if c.check_id == "add-unlike"]
    assert unlike.students == 3 and unlike.first_attempt_facility == 1.0 and unlike.discrimination is None


def test_each_answer_records_which_feedback_message_was_shown(sqlite_url):
    with open_store(sqlite_url) as store:
        shown = {(e.data["answer"], e.data["correct"], e.data["feedback"]) for e in store.lesson_events("fractions")
                 if e.type == "answered" and e.check_id == "add-like"}
    assert ("0", False, 0) in shown  # the teacher's message for a sum of zero
    assert ("1", False, None) in shown  # no entry for it: lessonkit's own "Not quite"
    assert {f for a, c, f in shown if c} == {None}


def test_flags_and_routes_per_student(report):
    students = {p.student: p for p in report.per_student}
    assert {f.kind for f in students["fay"].flags} == {"hint_click_through"}
    assert "rapid_guessing" in {f.kind for f in students["hal"].flags}
    assert students["dan"].route[:2] == ("like-practice (check) \u00d76", "reteach (remediation), as needs_remediation('like')")
    assert students["ada"].route == ("like-practice (check) \u00d73", "unlike-practice (check) \u00d73, as mastered('like')",
                                     "done (end), as mastered('unlike')")
    assert students["ada"].finished
    assert [a.correct for a in students["hal"].answers] == [False, False, False, False, True]
    # time on task: every gap is under the cap, so it is the span of the student's events
    assert 0 < students["ada"].seconds_on_task < 30 * 60


def test_the_same_report_from_sqlite_and_postgresql(sealed, report, postgres_url):
    simulate(sealed, postgres_url)
    from_pg = build_report(postgres_url, "fractions")
    assert from_pg == report
    assert render_html(from_pg) == render_html(report)


class _Links(HTMLParser):
    """What the page would load, its pictures, and the charts' descriptions and bars' titles."""

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[str] = []
        self.images: list[dict] = []
        self.charts: list[dict] = []
        self.descriptions: list[str] = []
        self.bar_titles: list[str] = []
        self._inside: list[str] = []

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        self.loads += [v for k, v in attrs if k in ("src", "href", "xlink:href") and v]
        if tag == "img":
            self.images.append(found)
        if tag == "svg":
            self.charts.append(found)
        self._inside.append(tag)

    def handle_endtag(self, tag):
        if tag in self._inside:
            del self._inside[len(self._inside) - 1 - self._inside[::-1].index(tag):]

    def handle_data(self, data):
        if self._inside[-1:] == ["desc"]:
            self.descriptions.append(data)
        elif self._inside[-2:] == ["rect", "title"]:
            self.bar_titles.append(data)


def test_the_html_loads_nothing_and_escapes_answers(report, tmp_path):
    text = write_html(report, tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    links = _Links()
    links.feed(text)
    assert not [v for v in links.loads if re.match(r"\s*(https?:)?//", v, re.IGNORECASE)]
    assert all(v.startswith("#") for v in links.loads) and not links.images
    # the charts are inline SVG (facility, days, drop-off), each named and described in words, each bar its value
    assert len(links.charts) == 3 and all(c["role"] == "img" and c["aria-describedby"] for c in links.charts)
    assert len(links.descriptions) == 3 and all(len(d) > 40 for d in links.descriptions)
    shown = {t.split(", right at the first attempt: ")[0]: float(t.rsplit(": ", 1)[1].rstrip("%"))
             for t in links.bar_titles if ", right at the first attempt: " in t}
    assert shown and all(abs(shown.get(c.check_id, 0) - 100 * c.first_attempt_facility) < 0.051 for c in report.checks)
    # the heat map is a table: each cell's value in its text and its title, its colour a class
    assert re.search(r'<td class="h\d+" title="ada, [^"]+: P\(learned\) = (\d\.\d\d)">\1</td>', text)
    assert XSS not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<script" not in text.lower()
    assert 'scope="col"' in text and 'scope="row"' in text
    assert 'title="P(learned) = ' in text and "\u25cf mastered" in text  # a symbol beside the colour


#: The text colour and the background it sits on, for every element that holds text, as Chromium computed them.
_COLOURS = """() => {
  const rgb = (c) => c.match(/[\\d.]+/g).map(Number);
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length < 4 || c[3] > 0) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  return [...document.querySelectorAll("body *")]
    .filter((el) => [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim()))
    .map((el) => [el.tagName + "." + el.className, rgb(getComputedStyle(el).color).slice(0, 3), background(el)]);
}"""


def contrast(a, b) -> float:
    def luminance(rgb):
        c = [v / 255 for v in rgb]
        c = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in c]
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]

    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.mark.slow
def test_the_report_in_chromium(report, page, tmp_path):
    path = write_html(report, tmp_path / "report.html")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(path.as_uri())
    assert page.locator("h2").first.inner_text().startswith("Needs help now")
    assert page.locator("article.card").count() == len(report.needs_help)
    assert page.locator("figure svg[role=img]").count() == 3
    assert all(page.locator("figure svg").nth(n).bounding_box()["height"] > 150 for n in range(3))
    assert not serious_accessibility_violations(page)
    low = {(what, round(contrast(fg, bg), 2)) for what, fg, bg in page.evaluate(_COLOURS) if contrast(fg, bg) < 4.5}
    assert not low, f"text under 4.5:1 contrast: {sorted(low)}"
    page.click("text=dan >> nth=0")
    assert page.evaluate("location.hash").startswith("#student-")
    page.evaluate("window.scrollTo(0, 0)")
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=False)
    shutil.copy(shot, "/tmp/lessonkit-report.png")
    assert shot.stat().st_size > 10_000


@pytest.mark.slow
def test_the_command_end_to_end(sqlite_url, tmp_path):
    out = tmp_path / "out.html"
    done = subprocess.run([sys.executable, "-m", "lessonkit", "report", "--store", sqlite_url, "--lesson",
                           "fractions", "-o", str(out)], check=False, capture_output=True, text=True, env=subprocess_env(),
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Needs help now (2):" in done.stdout and "dan on like" in done.stdout
    assert "Ready for enrichment (3): ada, ben, cy" in done.stdout and out.exists()


@pytest.mark.parametrize("args, says", [
    (["--store", "{tmp}/missing.sqlite", "--lesson", "fractions"], "no event store at"),
    (["--store", "mysql://nobody@localhost/x", "--lesson", "fractions"], "mysql"),
    (["--store", "{store}", "--lesson", "no-such-lesson"], "no events for lesson 'no-such-lesson'"),
    (["--store", "{store}"], "--lesson ID"),
])
def test_bad_input_exits_2_saying_what_to_fix(args, says, sqlite_url, tmp_path, capsys):
    from lessonkit.cli import main

    argv = ["report", *(a.format(tmp=tmp_path, store=sqlite_url) for a in args), "-o", str(tmp_path / "r.html")]
    assert main(argv) == 2
    assert says in capsys.readouterr().err
    assert not (tmp_path / "r.html").exists() and not (tmp_path / "missing.sqlite").exists()


def test_the_terminal_summary_leads_with_who_needs_help(report):
    text = summary(report)
    assert text.splitlines()[1] == "Needs help now (2):"
    assert "add-like: 56% of 9, most common wrong answer '0' ×16; your feedback[0] shown ×16" in text


def test_idleness_and_the_time_on_task_cap_from_hand_made_events(tmp_path):
    from lessonkit.progress import ANSWERED, MASTERY_CHANGED, STEP_ENTERED, Event
    from lessonkit.progress.jsonl import JsonlLog
    from lessonkit.report.facts import lesson_facts
    from lessonkit.report.stats import IDLE_CAP_S, assemble

    def entered(student, ts):
        return Event("l", student, STEP_ENTERED, ts=ts, step_id="s", data={"kind": "check"})

    def answered(student, ts, correct):
        return Event("l", student, ANSWERED, ts=ts, step_id="s", check_id="c",
                     data={"answer": "x", "correct": correct, "attempt": 1})

    def mastery(student, ts, mastered, needs_remediation):
        return Event("l", student, MASTERY_CHANGED, ts=ts, step_id="s", check_id="c", data={
            "skill": "k", "p": 0.99 if mastered else 0.1, "mastered": mastered, "needs_remediation": needs_remediation})

    # kim: stuck once, mastered since, so she is history, not help
    events = [entered("zed", 0), answered("zed", 10, False), entered("amy", 0), answered("amy", 30, True),
              mastery("kim", 5, False, True), answered("kim", 49, True), mastery("kim", 50, True, False),
              entered("amy", 2000)]
    log = JsonlLog(tmp_path / "events.jsonl")  # a log, not SQL: the report copies it into memory first
    log.append_many(events)
    report = assemble(lesson_facts(log, "l"))
    [zed] = report.needs_help
    assert zed.student == "zed" and zed.check == "c" and zed.evidence == ("idle 33 min on c without a correct answer",)
    amy = next(p for p in report.per_student if p.student == "amy")
    assert amy.seconds_on_task == 30 + IDLE_CAP_S
    assert zed.skill == "k"  # the skill c's answers moved, for kim
    assert {g.title: g.members for g in report.groups} == {"Ready for enrichment": ("kim",), "Reteach k": ("zed",),
                                                           "Not started": ("amy",)}


def test_a_large_class_shows_in_full_only_the_students_who_need_attention(tmp_path):
    from lessonkit.progress import ANSWERED, Event
    from lessonkit.progress.jsonl import JsonlLog
    from lessonkit.report.facts import lesson_facts
    from lessonkit.report.html import FULL_CLASS
    from lessonkit.report.stats import MANY_ATTEMPTS, assemble

    names = [f"s{n:02d}" for n in range(FULL_CLASS + 5)]
    events = [Event("l", name, ANSWERED, ts=n, step_id="s", check_id="c", data={"answer": "4", "correct": True})
              for n, name in enumerate(names[1:])]
    events += [Event("l", names[0], ANSWERED, ts=100 + n, step_id="s", check_id="c",
                     data={"answer": "5", "correct": False}) for n in range(MANY_ATTEMPTS)]
    log = JsonlLog(tmp_path / "events.jsonl")
    log.append_many(events)
    report = assemble(lesson_facts(log, "l"))
    assert [h.student for h in report.needs_help] == [names[0]]
    text = render_html(report)
    assert text.count('<section class="student"') == 1 and f">{names[0]}</h3>" in text
    brief = text[text.index('<table class="brief">'):]
    assert brief.count("<tr id=") == len(names) - 1 and "s44</th>" in brief
    assert all(f'href="#student-{n}-{name}"' in text for n, name in enumerate(names))  # every link has its target
    assert all(f'id="student-{n}-{name}"' in text for n, name in enumerate(names))


def test_time_on_task_follows_seq_whatever_the_clock_and_the_interleaving(tmp_path):
    """SQLite hands the student pass's times to the aggregate in the order it reads the
    (lesson, student, seq) index: the plan must stay that scan, and the gaps are taken in seq order
    even when a student's clock goes back and students' events interleave."""
    from lessonkit.progress import ANSWERED, Event
    from lessonkit.progress.sql import SqlEventStore
    from lessonkit.report.facts import _Queries, lesson_facts
    from lessonkit.report.stats import IDLE_CAP_S

    def answered(student, ts):
        return Event("l", student, ANSWERED, ts=ts, step_id="s", check_id=f"c{ts:g}", data={"answer": "x", "correct": False})

    with SqlEventStore(f"sqlite:///{tmp_path / 'events.sqlite'}") as store:
        store.append_many([answered("amy", 100), answered("bob", 0), answered("amy", 40), answered("amy", 400),
                           answered("bob", 10), answered("amy", 1000)])
        plan = " ".join(str(row[-1]) for row in store.read_tuples("EXPLAIN QUERY PLAN " + _Queries(store, "l").student_pass(),
                                                                   {"lesson": "l"}))
        assert "COVERING INDEX events_by_student" in plan and "TEMP B-TREE FOR GROUP BY" not in plan, plan
        students = {s.student: s for s in lesson_facts(store, "l").students}
    # amy: 100 -> 40 counts 0 (a clock set back), 40 -> 400 is 360 s, capped; 400 -> 1000 capped
    assert students["amy"].seconds == 2 * IDLE_CAP_S and students["bob"].seconds == 10
    assert students["amy"].last_check == "c1000" and students["bob"].last_check == "c10"
