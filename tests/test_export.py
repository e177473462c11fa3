"""``lessonkit export`` on a class driven through the real player (tests/test_report.py's
populations): xAPI statements checked against the xAPI 1.0.3 specification's rules, a CSV
that pyBKT itself fits, a per-student summary, and clear errors that leave nothing behind.

No maintained xAPI validator is published on PyPI (ADL's TinCanPython builds statements, it
does not validate them), so :func:`xapi_problems` writes down the requirements of the
specification's Data part (xAPI 1.0.3, Part Two, section 2.4) that a statement lessonkit
makes can break; it is itself tested on statements that break each one.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest
from test_player_lesson import build
from test_report import CELLS, POPULATIONS, simulate

from lessonkit.cli import main

STATEMENT_KEYS = {"id", "actor", "verb", "object", "result", "context", "timestamp", "stored", "authority",
                  "version", "attachments"}
IFIS = ("mbox", "mbox_sha1sum", "openid", "account")
CONTEXT_ACTIVITY_KEYS = {"parent", "grouping", "category", "other"}
# RFC 5646 language tag, the common forms (language[-script][-region][-variant])
LANGUAGE_TAG = re.compile(r"^[a-zA-Z]{2,8}(-[a-zA-Z0-9]{1,8})*$")
# ISO 8601 durations as xAPI uses them (4.6: "PnYnMnDTnHnMnS", seconds to 0.01)
DURATION = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$")
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def is_iri(value: Any) -> bool:
    """An absolute IRI: a scheme, something after it, no spaces (RFC 3987's shape)."""
    if not isinstance(value, str) or " " in value:
        return False
    parts = urlsplit(value)
    return bool(re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*$", parts.scheme)) and bool(parts.netloc or parts.path)


def language_map_problems(value: Any, where: str) -> list[str]:
    if not isinstance(value, dict) or not value:
        return [f"{where}: a language map is a non-empty object"]
    return [f"{where}: {k!r} is not an RFC 5646 language tag, or its value is not a string"
            for k, v in value.items() if not LANGUAGE_TAG.match(k) or not isinstance(v, str)]


def extension_problems(value: Any, where: str) -> list[str]:
    if not isinstance(value, dict):
        return [f"{where}: extensions are an object"]
    return [f"{where}: extension key {k!r} is not an IRI" for k in value if not is_iri(k)]


def null_problems(value: Any, where: str) -> list[str]:
    """2.2: no null values, except inside extensions (whose values are any JSON)."""
    if value is None:
        return [f"{where}: null"]
    if isinstance(value, dict):
        return [p for k, v in value.items() if k != "extensions" for p in null_problems(v, f"{where}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in null_problems(v, f"{where}[{i}]")]
    return []


def agent_problems(actor: Any) -> list[str]:
    if not isinstance(actor, dict):
        return ["actor: an object"]
    found = []
    if actor.get("objectType", "Agent") != "Agent":
        found.append("actor.objectType: an Agent's is 'Agent'")
    ifis = [k for k in IFIS if k in actor]
    if len(ifis) != 1:  # 2.4.2.1: exactly one Inverse Functional Identifier
        found.append(f"actor: exactly one inverse functional identifier, not {ifis}")
    account = actor.get("account")
    if account is not None:
        if set(account) != {"homePage", "name"}:
            found.append("actor.account: homePage and name, nothing else")
        if not is_iri(account.get("homePage")):
            found.append("actor.account.homePage: an IRL")
        if not isinstance(account.get("name"), str) or not account.get("name"):
            found.append("actor.account.name: a non-empty string")
    return found


def activity_problems(obj: Any, where: str) -> list[str]:
    if not isinstance(obj, dict):
        return [f"{where}: an object"]
    found = []
    if obj.get("objectType", "Activity") != "Activity":
        found.append(f"{where}.objectType: lessonkit's objects are Activities")
    if not is_iri(obj.get("id")):
        found.append(f"{where}.id: an IRI")
    definition = obj.get("definition", {})
    if "type" in definition and not is_iri(definition["type"]):
        found.append(f"{where}.definition.type: an IRI")
    for key in ("name", "description"):
        if key in definition:
            found += language_map_problems(definition[key], f"{where}.definition.{key}")
    if "extensions" in definition:
        found += extension_problems(definition["extensions"], f"{where}.definition.extensions")
    return found


def result_problems(result: Any) -> list[str]:
    found = []
    score = result.get("score", {})
    if "scaled" in score and not (isinstance(score["scaled"], (int, float)) and -1 <= score["scaled"] <= 1):
        found.append("result.score.scaled: a number from -1 to 1")
    if "raw" in score and not (score.get("min", score["raw"]) <= score["raw"] <= score.get("max", score["raw"])):
        found.append("result.score.raw: between min and max")
    for key in ("success", "completion"):
        if key in result and not isinstance(result[key], bool):
            found.append(f"result.{key}: a boolean")
    if "response" in result and not isinstance(result["response"], str):
        found.append("result.response: a string")
    if "duration" in result and not DURATION.match(str(result["duration"])):
        found.append("result.duration: an ISO 8601 duration")
    if "extensions" in result:
        found += extension_problems(result["extensions"], "result.extensions")
    return found


def context_problems(context: Any, object_is_activity: bool) -> list[str]:
    found = []
    if "registration" in context:
        try:
            uuid.UUID(context["registration"])
        except (TypeError, ValueError):
            found.append("context.registration: a UUID")
    activities = context.get("contextActivities", {})
    for key, value in activities.items():
        if key not in CONTEXT_ACTIVITY_KEYS:
            found.append(f"context.contextActivities.{key}: not one of {sorted(CONTEXT_ACTIVITY_KEYS)}")
        for n, activity in enumerate(value if isinstance(value, list) else [value]):
            found += activity_problems(activity, f"context.contextActivities.{key}[{n}]")
    for key in ("revision", "platform"):
        if key in context:
            if not isinstance(context[key], str):
                found.append(f"context.{key}: a string")
            if not object_is_activity:  # 2.4.6.2: only when the object is an Activity
                found.append(f"context.{key}: only when the object is an Activity")
    if "extensions" in context:
        found += extension_problems(context["extensions"], "context.extensions")
    return found


def xapi_problems(statement: dict[str, Any]) -> list[str]:
    """Every requirement of xAPI 1.0.3's statement rules that ``statement`` breaks."""
    found = [f"{k}: not a statement property" for k in statement if k not in STATEMENT_KEYS]
    found += [f"{k}: required" for k in ("actor", "verb", "object") if k not in statement]
    try:
        parsed = uuid.UUID(str(statement.get("id")))
        if str(parsed) != statement["id"] or parsed.variant != uuid.RFC_4122:
            raise ValueError
    except ValueError:
        found.append("id: a UUID (RFC 4122), in its canonical form")
    found += agent_problems(statement.get("actor"))
    verb = statement.get("verb", {})
    if not is_iri(verb.get("id")):
        found.append("verb.id: an IRI")
    if "display" in verb:
        found += language_map_problems(verb["display"], "verb.display")
    found += activity_problems(statement.get("object"), "object")
    found += result_problems(statement.get("result", {}))
    found += context_problems(statement.get("context", {}), statement.get("object", {}).get("objectType",
                                                                                             "Activity") == "Activity")
    timestamp = statement.get("timestamp")
    if timestamp is not None:
        if not TIMESTAMP.match(str(timestamp)):
            found.append("timestamp: ISO 8601 with a time zone")
        else:
            dt.datetime.fromisoformat(timestamp.replace("Z", "+00:00"))  # a real date and time
    return found + null_problems(statement, "statement")


@pytest.fixture(scope="module")
def store_url(tmp_path_factory):
    sealed = build(tmp_path_factory.mktemp("lesson"), CELLS).sealed
    url = f"sqlite:///{tmp_path_factory.mktemp('store') / 'progress.sqlite'}"
    simulate(sealed, url)
    return url


def export(store_url: str, fmt: str, out, *extra: str) -> int:
    return main(["export", "--store", store_url, "--lesson", "fractions", "--format", fmt, "-o", str(out), *extra])


def test_every_exported_statement_follows_the_xapi_rules(store_url, tmp_path, capsys):
    out = tmp_path / "statements.json"
    assert export(store_url, "xapi", out, "--homepage", "https://school.example") == 0
    statements = json.loads(out.read_text(encoding="utf-8"))
    from lessonkit.progress import open_store

    with open_store(store_url) as store:
        events = list(store.lesson_events("fractions"))
    assert len(statements) == len(events) and f"wrote {len(events)} statements" in capsys.readouterr().out
    assert {s["verb"]["id"].rsplit("/", 1)[1] for s in statements} >= {"attempted", "answered", "asked", "mastered"}
    problems = {p for s in statements for p in xapi_problems(s)}
    assert not problems, sorted(problems)
    assert len({s["id"] for s in statements}) == len(statements)
    fed = [s for s in statements if s.get("result", {}).get("extensions", {}).get(
        "https://lessonkit.invalid/xapi/extensions/feedback") == 0]
    assert fed and all(s["result"]["response"] == "0" for s in fed)  # the feedback for a sum of zero


@pytest.mark.parametrize("break_it, rule", [
    (lambda s: s["actor"].update(mbox="mailto:a@b.example"), "exactly one inverse functional identifier"),
    (lambda s: s.update(id="1234"), "id: a UUID"),
    (lambda s: s["verb"].update(id="answered"), "verb.id: an IRI"),
    (lambda s: s.update(timestamp="2024-11-23 23:39"), "timestamp: ISO 8601"),
    (lambda s: s.update(result={"score": {"scaled": 1.5}}), "result.score.scaled"),
    (lambda s: s.update(result={"duration": "12 s"}), "result.duration"),
    (lambda s: s["context"].update(contextActivities={"parents": []}), "not one of"),
    (lambda s: s["context"].update(extensions={"attempt": 1}), "extension key 'attempt' is not an IRI"),
    (lambda s: s["object"].update(definition={"name": None}), "null"),
    (lambda s: s.update(score=1), "score: not a statement property"),
])
def test_the_validator_catches_each_rule(break_it, rule):
    from lessonkit.progress import ANSWERED, Event, to_xapi

    statement = to_xapi(Event("fractions", "ada", ANSWERED, check_id="c", data={"answer": "1", "correct": True,
                                                                                "score": 1.0, "elapsed_s": 3}))
    assert xapi_problems(statement) == []
    break_it(statement)
    assert any(rule in p for p in xapi_problems(statement)), xapi_problems(statement)


def test_the_pybkt_csv_is_what_pybkt_fits(store_url, tmp_path):
    from pyBKT.models import Model

    out = tmp_path / "bkt.csv"
    assert export(store_url, "pybkt", out) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert list(rows[0]) == ["order_id", "user_id", "skill_name", "correct"]
    assert [int(r["order_id"]) for r in rows] == list(range(1, len(rows) + 1))
    by_student = {}
    for r in rows:
        by_student.setdefault(r["user_id"], []).append(int(r["correct"]))
    assert by_student["dan"][:6] == [0] * 6  # the struggling students' six wrong items of evidence
    assert by_student["ada"][:3] == [1, 1, 1]
    assert "fay" not in by_student or all(c == 0 for c in by_student["fay"])  # a hint first: not right evidence
    model = Model(seed=1, num_fits=1)
    model.fit(data_path=str(out))
    params = model.params().reset_index()
    assert set(params["skill"]) == {"like", "unlike"}
    assert ((params["value"] >= 0) & (params["value"] <= 1)).all()


def test_the_summary_has_a_row_per_student(store_url, tmp_path):
    out = tmp_path / "summary.csv"
    assert export(store_url, "summary", out) == 0
    rows = {r["student"]: r for r in csv.DictReader(out.open(encoding="utf-8"))}
    assert set(rows) == set(POPULATIONS)
    assert rows["ada"]["finished"] == "1" and rows["ada"]["like status"] == "mastered"
    assert rows["dan"]["needs_help"] == "1" and "stuck" in rows["dan"]["flags"]
    assert rows["fay"]["flags"] == "hint_click_through"
    assert 0 < float(rows["ada"]["like p_learned"]) <= 1


@pytest.mark.parametrize("args, says", [
    (["--store", "{tmp}/missing.sqlite", "--lesson", "fractions"], "no event store at"),
    (["--store", "{store}", "--lesson", "no-such-lesson"], "no events for lesson 'no-such-lesson'"),
    (["--store", "mysql://nobody@localhost/x", "--lesson", "fractions"], "mysql"),
    (["--store", "{store}"], "--lesson ID"),
])
@pytest.mark.parametrize("fmt", ["xapi", "pybkt", "summary"])
def test_bad_input_exits_2_and_writes_nothing(args, says, fmt, store_url, tmp_path, capsys):
    out = tmp_path / "out.file"
    argv = ["export", *(a.format(tmp=tmp_path, store=store_url) for a in args), "--format", fmt, "-o", str(out)]
    assert main(argv) == 2
    assert says in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


# --- grades: from nbgrader's gradebook, in the formats `lessonkit grade` exports ---------------------


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A real nbgrader gradebook as `lessonkit grade` leaves it: two lessons, a grade given by hand in
    formgrader (ann's what-sum), a late penalty (ben's sums), a student who submitted nothing (cy)."""
    import warnings

    from sqlalchemy.exc import SAWarning

    from lessonkit.grade.course import Course

    folder = tmp_path_factory.mktemp("grading")
    with Course(folder).gradebook() as gb, warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=SAWarning)  # nbgrader's own autoflush warnings
        for lesson, cells in (("sums", {"total-tests": 2, "what-sum": 1}), ("fractions", {"add-like": 4})):
            gb.add_assignment(lesson, duedate=dt.datetime(2025, 6, 20))
            gb.add_notebook(lesson, lesson)
            for cell, points in cells.items():
                gb.add_grade_cell(cell, lesson, lesson, max_score=points, cell_type="code")
        gb.add_student("ann", first_name="Ann", last_name="Lee, Jr.", email="ann@example.org")
        gb.add_student("ben")
        gb.add_student("cy")
        scores = {("sums", "ann"): {"total-tests": 2, "what-sum": 0}, ("sums", "ben"): {"total-tests": 2, "what-sum": 0},
                  ("fractions", "ann"): {"add-like": 3}}
        for (lesson, student), cells in scores.items():
            gb.add_submission(lesson, student, timestamp=dt.datetime(2025, 6, 19))
            for cell, score in cells.items():
                gb.find_grade(cell, lesson, lesson, student).auto_score = score
        gb.find_grade("what-sum", "sums", "sums", "ann").manual_score = 1  # the teacher's grade wins
        gb.find_submission_notebook("sums", "sums", "ben").late_submission_penalty = 0.5
        gb.db.commit()
    return folder


def test_grades_are_nbgrader_grades_csv_with_every_lesson(course, tmp_path, capsys):
    out = tmp_path / "grades.csv"
    assert main(["export", "--format", "grades", "--course", str(course), "-o", str(out)]) == 0
    assert "wrote 6 rows" in capsys.readouterr().out
    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    assert list(rows[0]) == ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
                             "raw_score", "late_submission_penalty", "score", "max_score"]
    scores = {(r["assignment"], r["student_id"]): (float(r["raw_score"]), float(r["score"])) for r in rows}
    assert scores == {("sums", "ann"): (3.0, 3.0), ("sums", "ben"): (2.0, 1.5), ("sums", "cy"): (0.0, 0.0),
                      ("fractions", "ann"): (3.0, 3.0), ("fractions", "ben"): (0.0, 0.0),
                      ("fractions", "cy"): (0.0, 0.0)}
    assert next(r for r in rows if r["student_id"] == "ann")["last_name"] == "Lee, Jr."  # a comma stays one field


def test_canvas_has_a_row_per_student_and_a_column_per_lesson(course, tmp_path):
    out = tmp_path / "canvas.csv"
    assert main(["export", "--format", "canvas", "--course", str(course), "-o", str(out)]) == 0
    rows = list(csv.reader(out.open(encoding="utf-8", newline="")))
    header, possible, students = rows[0], rows[1], rows[2:]
    assert header[:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert sorted(header[5:]) == ["fractions", "sums"]
    assert dict(zip(header[5:], possible[5:])) == {"sums": "3", "fractions": "4"}
    grades = {row[3]: dict(zip(header[5:], row[5:])) for row in students}
    assert grades == {"ann": {"sums": "3", "fractions": "3"}, "ben": {"sums": "1.5", "fractions": ""},
                      "cy": {"sums": "", "fractions": ""}}  # no submission: left empty, Canvas keeps what it has


def test_one_lesson_s_grades(course, tmp_path):
    out = tmp_path / "sums.canvas.csv"
    assert main(["export", "--format", "canvas", "--course", str(course), "--lesson", "sums", "-o", str(out)]) == 0
    rows = list(csv.reader(out.open(encoding="utf-8", newline="")))
    assert rows[0][5:] == ["sums"] and {row[3]: row[5] for row in rows[2:]} == {"ann": "3", "ben": "1.5", "cy": ""}


@pytest.mark.parametrize("args, says", [
    (["--course", "{tmp}/nowhere"], "no such course folder"),
    (["--course", "{empty}"], "no gradebook at"),
    (["--course", "{course}", "--lesson", "nope"], "not in the gradebook: nope"),
    (["--course", "{course}", "--store", "{tmp}/progress.sqlite"], "--store is not read for --format"),
])
@pytest.mark.parametrize("fmt", ["grades", "canvas"])
def test_bad_grade_exports_exit_2_and_write_nothing(args, says, fmt, course, tmp_path, capsys):
    empty = tmp_path / "empty-course"
    empty.mkdir()
    out = tmp_path / "out" / "grades.csv"
    argv = ["export", "--format", fmt, *(a.format(tmp=tmp_path, course=course, empty=empty) for a in args),
            "-o", str(out)]
    assert main(argv) == 2
    assert says in capsys.readouterr().err
    assert not (out.parent.exists() and list(out.parent.iterdir()))  # no file, no temporary left behind
    assert list(empty.iterdir()) == []  # no empty gradebook made where none was
