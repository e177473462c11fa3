"""A class uses ``lessonkit serve`` as it would (issue 12, "Tested as a class would use it"): a real
server with a roster of two students and a teacher, real sign-in through the form, real Chromium.

Each student walks the whole lesson: a wrong answer and its feedback, hints, example code Run on
the page, a code check with what their code printed, remediation and the way back, enrichment and
a choice; half way they leave, and resume in another browser (signed in again) where they left
off.  Neither can reach the other's progress, page, kernel or work (URLs, kernel ids, forged
headers and cookies); the teacher sees both.  Every byte each student's browser received (HTTP
bodies and websocket frames) is searched for the lesson's answers, solutions and hidden tests,
taken from the lesson's source: the answers a student typed themselves may come back to them,
to no one else.  One server for the module; screenshots of each key step are left in
tests/artifacts/class-walk/.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from browser import EXPECT_TIMEOUT_MS, wait_for_widgets
from lessonfactory import write_lesson
from longstart import serving
from playwright.sync_api import Browser, BrowserContext, Page, expect
from playwright.sync_api import Error as PlaywrightError
from system import bubblewrap, free_port
from test_build import assert_no_secrets
from test_page_keyboard import _SHOWN_WHERE_IT_SAYS, _TRAIL
from test_player_lesson import CELLS, right_sum
from test_serve_auth import lessonkit, serve_command

from lessonkit.format.reader import read_lesson
from lessonkit.progress import StudentState, open_store
from lessonkit.serve.auth import COOKIE

pytestmark = pytest.mark.slow

ARTIFACTS = Path(__file__).parent / "artifacts" / "class-walk"
PAGE = "voila/render/fractions/page/fractions.ipynb"
PASSWORDS = {"ana": "ana-walks-1", "bo": "bo-walks-22", "ms.kim": "kim-teaches-3"}
STUDENTS = ("ana", "bo")
#: for a loaded two-core machine (CI runs other tests beside this one): a page's kernel may take a
#: minute to start, an answer seconds to be checked; a failure is one that does not come at all
PAGE_MS = 180_000
STEP_MS = 150_000

# The player tests' lesson (every path a student can take), with example code to Run and a code
# check on the first step.
EXAMPLE = '''half = 1 / 2
print("one half is", half)'''
CODE_CHECK = [
    ("code", '''lk.check(id="as-decimal", kind="code", skills=["equivalent"],
    prompt="Write `as_decimal(top, bottom)`: the fraction `top/bottom` as a decimal number.",
    hints=["Divide the top number by the bottom number."])'''),
    ("code", '''def as_decimal(top, bottom):
    ### BEGIN SOLUTION
    return top / bottom
    ### END SOLUTION'''),
    ("code", '''assert as_decimal(1, 2) == 0.5, "1/2 is 0.5"
### BEGIN HIDDEN TESTS
assert as_decimal(-7, 4) == -1.75, "a negative top number works the same way"
### END HIDDEN TESTS'''),
]
MUSIC_CHECK = ("code", '''lk.check(id="quarters", kind="numeric", prompt="How many quarter notes last as long as a whole note?",
    answer=4)''')
# served lessons are validated: the practice loop needs a bound, and each theme the same points
BOUNDED = '''lk.branch(rules=[
    {"if": "mastered('add-like')", "goto": "egyptian"},
    {"if": "needs_remediation('add-like')", "goto": "common-denominator"},
    {"if": "visits('practice') >= 6", "goto": "egyptian"},
    {"goto": "practice"}])'''
_FIXED = [(kind, BOUNDED if "goto\": \"egyptian" in source and "needs_remediation" in source else source)
          for kind, source in CELLS]
_AFTER_INTRO = _FIXED.index(next(cell for cell in _FIXED if "which-equal" in cell[1])) + 1
_MUSIC = _FIXED.index(next(cell for cell in _FIXED if "quarter notes last as long" in cell[1])) + 1
WALK_CELLS = (_FIXED[:_AFTER_INTRO - 1] + [("code", EXAMPLE)] + _FIXED[_AFTER_INTRO - 1:_AFTER_INTRO] + CODE_CHECK
              + _FIXED[_AFTER_INTRO:_MUSIC] + [MUSIC_CHECK] + _FIXED[_MUSIC:])
#: what each student types: their own words, so that each may see them again and no one else may
TYPED = {"ana": {"remediation": "improper fraction", "theme": "Cooking", "themed": "tablespoons", "review": "0.75"},
         "bo": {"remediation": "top-heavy fraction", "theme": "Music", "themed": "4", "review": "0.75"}}
#: one line each for the definition: the editor's own indenting is not what this test is about
#: (tests/test_browser_editor.py), and under load its parser can lag a fast typist
STUDENT_CODE = {"ana": "print('ana writes as_decimal')\ndef as_decimal(top, bottom): return top * 1.0 / bottom",
                "bo": "print('bo writes as_decimal')\ndef as_decimal(top, bottom): return float(top) / bottom"}


@dataclass
class Received:
    """Everything one student's browsers were sent: (where, text) for each body and frame."""

    texts: list[tuple[str, str]] = field(default_factory=list)
    kernels: list[str] = field(default_factory=list)  # the kernel ids their pages were given

    def watch(self, page: Page) -> None:
        def body(response) -> None:
            try:
                data = response.body()
            except PlaywrightError:  # a redirect has no body; a page gone before it was read is not received
                return
            self.texts.append((f"HTTP {response.url}", data.decode("utf-8", "replace")))

        def websocket(socket) -> None:
            found = re.search(r"/api/kernels/([0-9a-f-]{36})/channels", socket.url)
            if found:
                self.kernels.append(found.group(1))
            socket.on("framereceived", lambda payload: self.texts.append(
                (f"websocket {socket.url}", payload if isinstance(payload, str) else payload.decode("utf-8", "replace"))))

        page.on("response", body)
        page.on("websocket", websocket)


@dataclass
class School:
    url: str
    folder: Path
    browser: Browser
    received: dict[str, Received] = field(default_factory=lambda: {name: Received() for name in STUDENTS})
    open: dict[str, BrowserContext] = field(default_factory=dict)  # each student's browser after resuming

    def context(self) -> BrowserContext:
        context = self.browser.new_context(viewport={"width": 1100, "height": 800})
        context.set_default_timeout(STEP_MS)
        context.route(re.compile(r"^(?!http://127\.0\.0\.1[:/])"), lambda route: route.abort())  # no network
        return context

    def signed_in(self, name: str, *, watched: bool = True) -> Page:
        """A new browser, signed in as ``name`` through the form, on their home page."""
        page = self.context().new_page()
        if watched and name in self.received:
            self.received[name].watch(page)
        page.goto(self.url)
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        page.get_by_label("Name").fill(name)
        page.get_by_label("Password").fill(PASSWORDS[name])
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_text(f"Signed in as {name}")).to_be_visible()
        return page


def shot(page: Page, name: str, part=None) -> None:
    """A screenshot of the page as the student sees it, or of one ``part`` (scrolled to)."""
    (part or page).screenshot(path=str(ARTIFACTS / f"{name}.png"))


def heading(page: Page) -> str:
    return page.locator(".lessonkit-page h2").first.inner_text()


def next_step(page: Page, button: str = "Next") -> str:
    """Press Next (or a choice), wait until the new step is drawn, and return its title."""
    before = page.evaluate(_TRAIL)
    page.get_by_role("button", name=button, exact=True).click()
    page.wait_for_function(f"(before) => ({_TRAIL})() !== before", arg=before)
    page.wait_for_function(_SHOWN_WHERE_IT_SAYS)
    return heading(page)


def check(page: Page, nth: int = 0) -> None:
    """Press the step's ``nth`` Check and wait for a verdict other than the one shown before."""
    status = page.locator(".lessonkit-check .lessonkit-status").nth(nth)
    before = status.inner_text() if status.count() else ""
    page.get_by_role("button", name="Check").nth(nth).click()
    expect(status).not_to_have_text(before or "\u0000")
    expect(status).not_to_be_empty()


def answer(page: Page, text: str) -> None:
    page.locator(".lessonkit-check input[type=text]").first.fill(text)


def open_lesson(page: Page) -> None:
    page.get_by_role("link", name="Adding fractions").first.click()
    page.wait_for_url("**/" + PAGE, wait_until="commit")
    wait_for_widgets(page, timeout=PAGE_MS)


def type_code(page: Page, code: str) -> None:
    """Type into the code editor as a student does, key by key."""
    editor = page.locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    for n, line in enumerate(code.split("\n")):
        if n:
            page.keyboard.press("Enter")
        page.keyboard.type(line)


def first_half(page: Page, name: str) -> None:
    """From the home page to the enrichment step: the parts of the lesson a student struggles with."""
    open_lesson(page)
    expect(page.get_by_text(f"Your work is saved for {name}")).to_be_visible()
    assert heading(page) == "Why fractions?"

    # example code, run on the page: what it printed, under it
    page.get_by_role("button", name="Run").first.click()
    expect(page.get_by_role("status", name="Output of example 1")).to_contain_text("one half is 0.5")

    # a wrong answer and its feedback, then the hint
    page.get_by_role("radio", name="2/1").check()
    check(page)
    expect(page.locator(".lessonkit-status").first).to_contain_text("swapped")
    page.get_by_role("button", name=re.compile(r"^Hint")).first.click()
    expect(page.get_by_role("region", name="Hints").first).to_contain_text("Multiply the top and the bottom")
    shot(page, f"{name}-1-feedback-and-hint", page.locator(".lessonkit-check").first)
    page.get_by_role("radio", name="3/6").check()
    check(page)
    expect(page.locator(".lessonkit-status").first).to_contain_text("Correct")

    # the code check: the student's code, what it printed, the tests' verdict
    type_code(page, STUDENT_CODE[name])
    check(page, 1)
    code_check = page.locator(".lessonkit-check").nth(1)
    expect(code_check).to_contain_text("What your code printed")
    expect(code_check.get_by_role("status", name="What your code printed")).to_contain_text(f"{name} writes as_decimal")
    expect(code_check.locator(".lessonkit-status")).to_contain_text("All 1 visible tests passed")
    shot(page, f"{name}-2-code-check", code_check)

    # wrong answers in practice until the lesson's budget of items is spent: remediation, and the
    # way back, said before it is taken
    assert next_step(page) == "Practice"
    for _ in range(4):
        answer(page, "0.001")
        check(page)
        if next_step(page) != "Practice":
            break
    assert heading(page) == "Same denominators"
    expect(page.locator(".lessonkit-badge")).to_contain_text("Another way in")
    answer(page, TYPED[name]["remediation"])
    check(page)
    expect(page.get_by_text("Next takes you to")).to_contain_text("Practice")
    shot(page, f"{name}-3-remediation")
    assert next_step(page) == "Practice"

    # right answers until mastered: the enrichment
    for _ in range(6):
        question = page.get_by_text(re.compile(r"\d+/\d+ \+ \d+/\d+ = \?")).inner_text()
        answer(page, right_sum(question))
        check(page)
        if next_step(page) != "Practice":
            break
    assert heading(page) == "Egyptian fractions"
    expect(page.locator(".lessonkit-badge")).to_contain_text("Going further")
    shot(page, f"{name}-4-enrichment")


def second_half(page: Page, name: str) -> None:
    """From the enrichment step to the end, with this student's choice."""
    page.get_by_role("checkbox", name="1/2").check()
    page.get_by_role("checkbox", name="1/7").check()
    check(page)
    expect(page.locator(".lessonkit-status").first).to_contain_text("Correct")
    theme = TYPED[name]["theme"]
    assert next_step(page, theme) == theme
    shot(page, f"{name}-6-choice")
    answer(page, TYPED[name]["themed"])
    check(page)
    assert next_step(page) == "Review"
    answer(page, TYPED[name]["review"])
    check(page)
    next_step(page)  # the end: "Well done" or, with a skill not mastered, an honest "End of the lesson"
    expect(page.get_by_role("region", name="Where you stand")).to_be_visible()
    shot(page, f"{name}-7-end")


@pytest.fixture(scope="module")
def school(tmp_path_factory, browser) -> Iterator[School]:
    """The class, served, after both students walked the lesson (their resumed browsers still open)."""
    bubblewrap()  # example code and code checks run contained
    folder = tmp_path_factory.mktemp("class-walk")
    write_lesson(folder / "lessons", WALK_CELLS, name="fractions")
    roster = f"--roster={folder / 'roster.sqlite'}"
    for name, password in PASSWORDS.items():
        teacher = ("--teacher",) if name not in STUDENTS else ()
        added = lessonkit("class", roster, "add", name, *teacher, "--password-stdin", stdin=password + "\n")
        assert added.returncode == 0, added.stderr
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = free_port()
    expect.set_options(timeout=STEP_MS)
    with serving(serve_command(folder, port, "--warm=1"), port, folder) as url:
        school = School(url, folder, browser)
        try:
            for name in STUDENTS:
                page = school.signed_in(name)
                shot(page, f"{name}-0-home")
                first_half(page, name)
                page.reload(wait_until="commit")  # a reload resumes at once
                wait_for_widgets(page, timeout=PAGE_MS)
                assert heading(page) == "Egyptian fractions"
                page.context.close()
                # another browser, signed in again: the lesson resumes where they left off
                page = school.signed_in(name)
                expect(page.locator("ul.lessons li").first).to_contain_text("Left off at Egyptian fractions")
                open_lesson(page)
                assert heading(page) == "Egyptian fractions"
                expect(page.get_by_role("checkbox", name="1/2")).to_be_visible()
                shot(page, f"{name}-5-resumed-elsewhere")
                second_half(page, name)
                school.open[name] = page.context
            yield school
        finally:
            for context in school.open.values():
                context.close()
            expect.set_options(timeout=EXPECT_TIMEOUT_MS)  # the session's, for the modules after this one


def test_each_student_walked_the_whole_lesson_and_the_store_says_so(school):
    with open_store(f"sqlite:///{school.folder / 'progress.sqlite'}") as store:
        for name in STUDENTS:
            state = StudentState.from_events(store.history("fractions", name))
            assert state.finished and state.current_step == "done", name
            for step in ("common-denominator", "egyptian", TYPED[name]["theme"].lower()):
                assert step in state.visits, (name, step)
            assert {"which-equal", "as-decimal", "add-like-v", "name-bottom"} <= set(state.checks), name


def test_no_student_reaches_another_students_page_kernel_progress_or_work(school):
    ana = school.open["ana"].new_page()
    theirs = school.received["bo"].kernels[-1]
    assert theirs not in school.received["ana"].kernels
    bo = school.open["bo"].request
    assert bo.get(school.url + f"api/kernels/{theirs}").status == 200  # bo's kernel is alive, for bo
    for path in (f"api/kernels/{theirs}", f"api/kernels/{theirs}/channels", "api/kernels", "api/sessions"):
        answer = ana.request.get(school.url + path)
        assert answer.status in (403, 404) and theirs not in answer.text(), (path, answer.status)
    for forged in ({"X-Lessonkit-Student": "bo"}, {"X-Lessonkit-Student": "bo", "Cookie": f"{COOKIE}=bo"}):
        answer = ana.request.get(school.url + f"api/kernels/{theirs}", headers=forged)
        assert answer.status in (403, 404), forged
        home = ana.request.get(school.url, headers=forged).text()
        assert "Signed in as <b>ana</b>" in home or "Sign in" in home, forged
        assert "Signed in as <b>bo</b>" not in home, forged
    # the same page address is each student's own page
    ana.goto(school.url + PAGE, wait_until="commit")
    wait_for_widgets(ana, timeout=PAGE_MS)
    expect(ana.get_by_text("Your work is saved for ana")).to_be_visible()
    expect(ana.get_by_role("navigation", name="Your route so far")).to_contain_text("Cooking")
    expect(ana.get_by_role("navigation", name="Your route so far")).not_to_contain_text("Music")
    # their work to download is their own
    mine = ana.request.get(school.url + "lessonkit/my-work.html").text()
    assert TYPED["ana"]["remediation"] in mine and TYPED["bo"]["remediation"] not in mine
    assert "bo writes" not in mine and "ana writes" in mine
    # a forged session cookie is nobody: the sign-in form
    stranger = school.context()
    try:
        stranger.add_cookies([{"name": COOKIE, "value": "bo", "url": school.url}])
        page = stranger.new_page()
        page.set_extra_http_headers({"X-Lessonkit-Student": "bo"})
        for path in ("", PAGE, "lessonkit/my-work.html", "teacher"):
            page.goto(school.url + path)
            expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    finally:
        stranger.close()
        ana.close()


def test_the_teacher_sees_both_students(school):
    page = school.signed_in("ms.kim", watched=False)
    try:
        page.get_by_role("link", name="Your class").click()
        for name in STUDENTS:
            row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=name))
            expect(row).to_contain_text("Finished")
            expect(row).to_contain_text("100%")
        shot(page, "teacher-class")
        page.goto(school.url + "lessonkit/dashboard/fractions")
        for name in STUDENTS:
            expect(page.get_by_text(name, exact=True).first).to_be_visible()
        shot(page, "teacher-dashboard")
    finally:
        page.context.close()
    # and no student sees the class
    for name in STUDENTS:
        assert school.open[name].request.get(school.url + "teacher").status == 403


def _decoded(text: str) -> str:
    """A body as its text reads once JSON and HTML escapes are undone (a leak hides in neither)."""
    unescaped = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)
    return html.unescape(unescaped.replace('\\"', '"').replace("\\n", "\n").replace("\\/", "/"))


def _without(text: str, typed) -> str:
    for value in filter(None, typed):
        text = text.replace(value, "")
    return text


def test_no_answer_solution_or_hidden_test_reaches_a_students_browser(school):
    lesson = read_lesson(school.folder / "lessons" / "fractions" / "fractions.ipynb")
    for name in STUDENTS:
        received = school.received[name]
        assert len(received.texts) > 50 and received.kernels, f"{name}'s browsers were not watched"
        # what a student typed may come back to them; the accepted answers they did not type may not
        texts = {f"{name}'s browser, {where} (#{n})": _without(_decoded(text), TYPED[name].values())
                 for n, (where, text) in enumerate(received.texts)}
        assert_no_secrets(lesson, texts)
        others = [TYPED[other]["remediation"] for other in STUDENTS if other != name]
        for where, text in texts.items():
            for answer in others:
                assert answer not in text, f"another student's answer {answer!r} reached {where}"
