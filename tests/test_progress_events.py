"""Events: validation, JSON round trips, the xAPI mapping, and a light import."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from lessonkit.progress import (
    ANSWERED,
    EVENT_TYPES,
    FLAG_KINDS,
    FLAG_RAISED,
    LESSON_STARTED,
    MASTERY_CHANGED,
    Event,
    to_xapi,
)

REPO = Path(__file__).resolve().parents[1]

# A full example of every type's data, as the player and engine write them.
EXAMPLES: dict[str, dict[str, Any]] = {
    "lesson_started": {"version": "1.2"},
    "step_entered": {"kind": "check"},
    "step_left": {"elapsed_s": 93.456},
    "answered": {"answer": "2/6", "item": 3, "correct": False, "score": 0.0, "pending": False,
                 "attempt": 1, "evidence": True, "elapsed_s": 12.5},
    "hint_revealed": {"rung": 1, "bottom_out": False, "cost": 0.25},
    "solution_revealed": {},
    "branch_taken": {"from": "practice", "to": "common-denominator", "rule": 1,
                     "condition": "needs_remediation('add-unlike')"},
    "choice_made": {"choice": "theme", "label": "Music", "goto": "music"},
    "mastery_changed": {"skill": "add-unlike", "p": 0.97, "evidence": 4, "mastered": True, "needs_remediation": False},
    "review_done": {"skill": "add-like", "correct": True, "next_due": 1_700_000_000.0},
    "flag_raised": {"kind": "rapid_guessing", "check": "half", "detail": "3 wrong answers in 6 s"},
    "goal_set": {"skills": ["add-unlike"], "by": "2026-12-15", "level": "enrichment", "scope": "lesson"},
    "confidence_given": {"item": 3, "confidence": 2},
    "reflection_saved": {"prompt": "What was hardest, and what helped?", "text": "Common denominators; the strips."},
}


def example(kind: str, **changes: Any) -> Event:
    fields: dict[str, Any] = {"ts": 1_700_000_123.4567, "step_id": "practice", "check_id": "half",
                              "data": EXAMPLES[kind]}
    return Event("fractions", "student-42", kind, **{**fields, **changes})


def test_examples_cover_every_type_and_field() -> None:
    assert EXAMPLES.keys() == EVENT_TYPES.keys()
    for kind, fields in EVENT_TYPES.items():
        assert set(EXAMPLES[kind]) <= set(fields), kind
    assert EXAMPLES["flag_raised"]["kind"] in FLAG_KINDS


@pytest.mark.parametrize("kind", list(EVENT_TYPES))
def test_json_round_trip(kind: str) -> None:
    event = example(kind)
    line = event.to_json()
    assert "\n" not in line and "seq" not in json.loads(line)
    assert Event.from_json(line) == event
    acked = event.with_seq(7)
    assert Event.from_dict(json.loads(acked.to_json())) == acked


def test_a_new_event_gets_a_fresh_uid_and_the_current_time() -> None:
    a, b = Event("l", "s", LESSON_STARTED), Event("l", "s", LESSON_STARTED)
    assert a.uid != b.uid and uuid.UUID(hex=a.uid).version == 4
    assert abs(a.ts - dt.datetime.now().timestamp()) < 5 and a.seq is None


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"type": "answerd"}, "unknown event type 'answerd'; the event types are: lesson_started"),
        ({"student_id": ""}, "student_id must be a non-empty string"),
        ({"ts": math.nan}, "ts must be epoch seconds"),
        ({"ts": "yesterday"}, "ts must be epoch seconds"),
        ({"data": ["not", "a", "mapping"]}, "data must be a mapping"),
    ],
)
def test_invalid_events_are_refused_with_a_reason(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        Event(**{"lesson_id": "l", "student_id": "s", "type": ANSWERED, **fields})


def test_data_that_is_not_json_is_refused_when_serialised() -> None:
    with pytest.raises(ValueError, match="answered event: data is not JSON-serialisable"):
        Event("l", "s", ANSWERED, data={"score": math.inf}).to_json()


@pytest.mark.parametrize(
    "text, message",
    [("{not json", "invalid JSON"), ("[1, 2]", "a JSON list"), ('{"lesson_id": "l"}', "'student_id' is missing")],
)
def test_reading_something_that_is_not_an_event(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        Event.from_json(text)


def test_same_record_ignores_seq_and_storage_round_trips() -> None:
    event = Event("l", "s", ANSWERED, ts=5, data={"answer": ("a", "b")})
    stored = Event.from_json(event.with_seq(3).to_json())  # tuple came back as a list, 5 as 5
    assert stored.same_record(event) and stored != event
    assert not stored.same_record(Event("l", "s", ANSWERED, ts=5, data={"answer": ["a", "c"]}, uid=event.uid))


# --- xAPI ------------------------------------------------------------------------------------

ADL_VERBS = "http://adlnet.gov/expapi/verbs/"
STATEMENT_KEYS = {"id", "actor", "verb", "object", "result", "context", "timestamp"}
DURATION = re.compile(r"^PT\d+(\.\d{1,2})?S$")


def assert_iri(value: str) -> None:
    parts = urlparse(value)
    assert parts.scheme in ("http", "https") and parts.netloc, value
    assert " " not in value


def assert_no_nulls_or_empty_objects(value: Any, where: str = "statement") -> None:
    """xAPI: an LRS rejects null values (outside extensions); empty objects SHOULD NOT appear."""
    if isinstance(value, dict):
        assert value != {}, f"empty object at {where}"
        for key, item in value.items():
            if key == "extensions":
                assert item and all(urlparse(k).scheme for k in item), f"extension keys must be IRIs at {where}"
                continue
            assert item is not None, f"null at {where}.{key}"
            assert_no_nulls_or_empty_objects(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            assert_no_nulls_or_empty_objects(item, f"{where}[{index}]")


def assert_statement(statement: dict[str, Any], event: Event, homepage: str) -> None:
    assert {"actor", "verb", "object"} <= set(statement) <= STATEMENT_KEYS
    assert str(uuid.UUID(statement["id"])) == statement["id"]
    assert statement["actor"] == {"objectType": "Agent", "account": {"homePage": homepage, "name": event.student_id}}
    assert_iri(statement["verb"]["id"])
    assert all(isinstance(text, str) and text for text in statement["verb"]["display"].values())
    obj = statement["object"]
    assert obj["objectType"] == "Activity"
    assert_iri(obj["id"])
    assert obj["id"].startswith(f"{homepage}/lessons/{event.lesson_id}")
    assert_iri(obj["definition"]["type"])
    moment = dt.datetime.fromisoformat(statement["timestamp"].replace("Z", "+00:00"))
    assert moment.utcoffset() == dt.timedelta(0)
    assert abs(moment.timestamp() - event.ts) < 0.001  # millisecond precision
    assert re.search(r"\.\d{3}Z$", statement["timestamp"])
    result = statement.get("result", {})
    assert set(result) <= {"score", "success", "completion", "response", "duration", "extensions"}
    if "success" in result:
        assert isinstance(result["success"], bool)
    if "score" in result:
        assert -1 <= result["score"]["scaled"] <= 1
    if "response" in result:
        assert isinstance(result["response"], str)
    if "duration" in result:
        assert DURATION.match(result["duration"]), result["duration"]
    context = statement["context"]
    lesson_iri = f"{homepage}/lessons/{event.lesson_id}"
    if obj["id"] != lesson_iri:
        assert [a["id"] for a in context["contextActivities"]["parent"]] == [lesson_iri]
    assert_no_nulls_or_empty_objects(statement)
    json.dumps(statement, allow_nan=False)


@pytest.mark.parametrize("kind", list(EVENT_TYPES))
@pytest.mark.parametrize("homepage", ["https://lessonkit.invalid", "https://school.example/"])
def test_every_event_type_maps_to_a_valid_xapi_statement(kind: str, homepage: str) -> None:
    event = example(kind)
    statement = to_xapi(event, homepage=homepage)
    assert_statement(statement, event, homepage.rstrip("/"))
    if kind != FLAG_RAISED:  # the one type without an ADL verb that means it
        assert statement["verb"]["id"].startswith(ADL_VERBS)


def test_an_answer_reports_its_result() -> None:
    statement = to_xapi(example(ANSWERED, data={**EXAMPLES["answered"], "correct": True, "score": 0.5}))
    assert statement["verb"]["id"] == ADL_VERBS + "answered"
    assert statement["object"]["id"] == "https://lessonkit.invalid/lessons/fractions/checks/half"
    result = statement["result"]
    assert result["success"] is True and result["score"] == {"scaled": 0.5}
    assert result["response"] == "2/6" and result["duration"] == "PT12.5S"
    assert result["extensions"]["https://lessonkit.invalid/xapi/extensions/attempt"] == 1


def test_a_pending_answer_claims_no_success_or_score() -> None:
    data = {**EXAMPLES["answered"], "answer": [1, "x"], "correct": None, "score": 0.0, "pending": True}
    result = to_xapi(example(ANSWERED, data=data))["result"]
    assert "success" not in result and "score" not in result
    assert result["response"] == '[1,"x"]'  # non-string answers travel as JSON text


def test_mastery_is_claimed_only_when_mastered() -> None:
    mastered = to_xapi(example(MASTERY_CHANGED))
    assert mastered["verb"]["id"] == ADL_VERBS + "mastered" and mastered["result"]["success"] is True
    assert mastered["object"]["id"].endswith("/skills/add-unlike")
    learning = to_xapi(example(MASTERY_CHANGED, data={**EXAMPLES["mastery_changed"], "mastered": False, "p": 0.4}))
    assert learning["verb"]["id"] == ADL_VERBS + "progressed" and learning["result"]["success"] is False
    assert learning["result"]["score"] == {"scaled": 0.4}


def test_ids_are_quoted_into_iris_and_uids_give_stable_statement_ids() -> None:
    event = example(ANSWERED, check_id="a b/c")
    statement = to_xapi(event)
    assert statement["object"]["id"].endswith("/checks/a%20b%2Fc")
    assert statement["id"] == str(uuid.UUID(hex=event.uid)) == to_xapi(event)["id"]
    foreign = to_xapi(example(ANSWERED, uid="not-a-uuid"))
    assert uuid.UUID(foreign["id"]).version == 5


def test_an_event_missing_its_object_says_so() -> None:
    with pytest.raises(ValueError, match="has no check_id"):
        to_xapi(example(ANSWERED, check_id=None))


# --- the docs and the import cost ---------------------------------------------------------------


def test_the_docs_describe_every_type_and_field() -> None:
    docs = (REPO / "docs" / "events.md").read_text(encoding="utf-8")
    for kind, fields in EVENT_TYPES.items():
        assert f"`{kind}`" in docs, kind
        for name in fields:
            assert f"`{name}`" in docs, f"{kind}.{name}"
    for kind in FLAG_KINDS:
        assert f"`{kind}`" in docs
    assert "LESSONKIT_DB" in docs


def test_importing_progress_is_light() -> None:
    """The student's kernel imports the progress layer: it must not pull in the store's heavy
    parts (its time is measured in benchmarks/import_time.py, not here)."""
    heavy = ("sqlalchemy", "psycopg", "numpy", "pandas", "nbformat", "nbgrader", "matplotlib")
    code = f"import sys, lessonkit.progress; print(' '.join(m for m in {heavy!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True).stdout
    assert out.split() == []
