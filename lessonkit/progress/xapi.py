"""Events as xAPI 1.0.3 statements, for schools that keep a learning record store (LRS).

Verbs come from the ADL vocabulary (``http://adlnet.gov/expapi/verbs/...``) wherever one
means what happened, so any LRS report understands them; only ``flag_raised`` has no ADL
verb and uses lessonkit's own.  Activities are IRIs under ``homepage``, the system the
student accounts live on: ``{homepage}/lessons/{lesson}``, and below it ``/steps/{step}``,
``/checks/{check}``, ``/checks/{check}/hints/{rung}``, ``/checks/{check}/solution``,
``/choices/{choice}`` and ``/skills/{skill}``.  lessonkit-specific data goes into
extensions keyed by IRIs under :data:`VOCABULARY`.  The statement id is the event's
``uid``, so exporting the same event twice yields the same statement, which an LRS
de-duplicates.  None values and empty objects are left out, as the specification requires.
"""

from __future__ import annotations

import datetime as _dt
import json
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from lessonkit.progress.events import (
    ANSWERED,
    BRANCH_TAKEN,
    CHOICE_MADE,
    CONFIDENCE_GIVEN,
    FLAG_RAISED,
    GOAL_SET,
    HINT_REVEALED,
    LESSON_STARTED,
    MASTERY_CHANGED,
    REFLECTION_SAVED,
    REVIEW_DONE,
    SOLUTION_REVEALED,
    STEP_ENTERED,
    STEP_LEFT,
    Event,
)

#: The IRI prefix of lessonkit's own verbs and extension keys.
VOCABULARY = "https://lessonkit.invalid/xapi"

_ADL = "http://adlnet.gov/expapi/verbs/"

#: Event type to verb IRI.  ``mastery_changed`` is ``mastered`` only when the skill is
#: mastered (an LRS reads that verb as a claim of mastery) and ``progressed`` otherwise.
VERBS: dict[str, str] = {
    LESSON_STARTED: _ADL + "attempted",
    STEP_ENTERED: _ADL + "experienced",
    STEP_LEFT: _ADL + "exited",
    ANSWERED: _ADL + "answered",
    HINT_REVEALED: _ADL + "asked",
    SOLUTION_REVEALED: _ADL + "experienced",
    BRANCH_TAKEN: _ADL + "progressed",
    CHOICE_MADE: _ADL + "preferred",
    MASTERY_CHANGED: _ADL + "mastered",
    REVIEW_DONE: _ADL + "completed",
    FLAG_RAISED: VOCABULARY + "/verbs/flagged",
    GOAL_SET: _ADL + "preferred",
    CONFIDENCE_GIVEN: _ADL + "responded",
    REFLECTION_SAVED: _ADL + "commented",
}
_PROGRESSED = _ADL + "progressed"

_ACTIVITY_TYPES = {
    "lesson": "http://adlnet.gov/expapi/activities/lesson",
    "step": "http://adlnet.gov/expapi/activities/module",
    "check": "http://adlnet.gov/expapi/activities/question",
    "hint": VOCABULARY + "/activities/hint",
    "solution": VOCABULARY + "/activities/solution",
    "choice": "http://adlnet.gov/expapi/activities/interaction",
    "skill": "http://adlnet.gov/expapi/activities/objective",
}


def to_xapi(event: Event, *, homepage: str = "https://lessonkit.invalid") -> dict[str, Any]:
    """The xAPI statement (a JSON-ready dict) that reports ``event``.

    The actor is the student as an account on ``homepage`` (an opaque id, never an
    email: xAPI's advice for privacy); the lesson is the parent activity of everything
    that happens inside it.
    """
    homepage = homepage.rstrip("/")
    lesson = _activity(homepage, "lesson", event.lesson_id)
    build = _BUILDERS[event.type]
    obj, verb, result, extensions = build(event, homepage)
    statement: dict[str, Any] = {
        "id": _statement_id(event.uid),
        "actor": {"objectType": "Agent", "account": {"homePage": homepage, "name": event.student_id}},
        "verb": {"id": verb, "display": {"en": verb.rsplit("/", 1)[-1]}},
        "object": obj,
        "timestamp": _timestamp(event.ts),
    }
    if result := _prune(result):
        statement["result"] = result
    context: dict[str, Any] = {"platform": "lessonkit"}
    if obj["id"] != lesson["id"]:
        context["contextActivities"] = {"parent": [lesson]}
    if event.step_id is not None and event.type not in (STEP_ENTERED, STEP_LEFT):
        extensions = {"step": event.step_id, **extensions}
    if extensions := _extensions(extensions):
        context["extensions"] = extensions
    statement["context"] = context
    return statement


# One builder per event type: (object, verb, result, lessonkit extensions).
_Built = tuple[dict[str, Any], str, dict[str, Any], dict[str, Any]]


def _lesson_started(e: Event, home: str) -> _Built:
    return _activity(home, "lesson", e.lesson_id), VERBS[e.type], {}, {"version": e.data.get("version")}


def _step_entered(e: Event, home: str) -> _Built:
    return _step(e, home), VERBS[e.type], {}, {"kind": e.data.get("kind")}


def _step_left(e: Event, home: str) -> _Built:
    return _step(e, home), VERBS[e.type], {"duration": _duration(e.data.get("elapsed_s"))}, {}


def _answered(e: Event, home: str) -> _Built:
    d = e.data
    pending = bool(d.get("pending"))
    result = {
        "response": _response(d.get("answer")),
        "success": None if pending else d.get("correct"),
        "score": None if pending or d.get("score") is None else {"scaled": float(d["score"])},
        "duration": _duration(d.get("elapsed_s")),
        "extensions": _extensions(
            {"attempt": d.get("attempt"), "item": d.get("item"), "evidence": d.get("evidence"), "pending": pending,
             "feedback": d.get("feedback")}
        ),
    }
    return _check(e, home), VERBS[e.type], result, {}


def _hint_revealed(e: Event, home: str) -> _Built:
    d = e.data
    obj = _activity(home, "hint", e.lesson_id, "checks", _need(e, "check_id"), "hints", str(d.get("rung", 0)))
    return obj, VERBS[e.type], {}, {"bottom-out": d.get("bottom_out"), "cost": d.get("cost")}


def _solution_revealed(e: Event, home: str) -> _Built:
    obj = _activity(home, "solution", e.lesson_id, "checks", _need(e, "check_id"), "solution")
    return obj, VERBS[e.type], {}, {}


def _branch_taken(e: Event, home: str) -> _Built:
    d = e.data
    obj = _activity(home, "step", e.lesson_id, "steps", _need_data(e, "to"))
    return obj, VERBS[e.type], {}, {"from": d.get("from"), "rule": d.get("rule"), "condition": d.get("condition")}


def _choice_made(e: Event, home: str) -> _Built:
    d = e.data
    obj = _activity(home, "choice", e.lesson_id, "choices", _need_data(e, "choice"))
    return obj, VERBS[e.type], {"response": _response(d.get("label"))}, {"goto": d.get("goto")}


def _mastery_changed(e: Event, home: str) -> _Built:
    d = e.data
    mastered = bool(d.get("mastered"))
    result = {
        "success": mastered,
        "score": None if d.get("p") is None else {"scaled": float(d["p"])},
        "extensions": _extensions({"evidence": d.get("evidence"), "needs-remediation": d.get("needs_remediation")}),
    }
    verb = VERBS[e.type] if mastered else _PROGRESSED
    return _skill(e, home), verb, result, {"check": e.check_id}


def _review_done(e: Event, home: str) -> _Built:
    d = e.data
    context = {"next-due": d.get("next_due"), "check": e.check_id}
    return _skill(e, home), VERBS[e.type], {"success": d.get("correct")}, context


def _flag_raised(e: Event, home: str) -> _Built:
    d = e.data
    check = d.get("check") or e.check_id
    if d.get("skill"):
        obj = _activity(home, "skill", e.lesson_id, "skills", d["skill"])
    elif check:
        obj = _activity(home, "check", e.lesson_id, "checks", check)
    else:
        obj = _activity(home, "lesson", e.lesson_id)
    return obj, VERBS[e.type], {}, {"flag": d.get("kind"), "detail": d.get("detail")}


def _goal_set(e: Event, home: str) -> _Built:
    d = e.data
    return (_activity(home, "lesson", e.lesson_id), VERBS[e.type], {"response": _response(d.get("skills"))},
            {"by": d.get("by"), "level": d.get("level"), "scope": d.get("scope")})


def _confidence_given(e: Event, home: str) -> _Built:
    return _check(e, home), VERBS[e.type], {"response": _response(e.data.get("confidence"))}, {"item": e.data.get("item")}


def _reflection_saved(e: Event, home: str) -> _Built:
    d = e.data
    return _step(e, home), VERBS[e.type], {"response": _response(d.get("text"))}, {"prompt": d.get("prompt")}


_BUILDERS: dict[str, Callable[[Event, str], _Built]] = {
    LESSON_STARTED: _lesson_started,
    STEP_ENTERED: _step_entered,
    STEP_LEFT: _step_left,
    ANSWERED: _answered,
    HINT_REVEALED: _hint_revealed,
    SOLUTION_REVEALED: _solution_revealed,
    BRANCH_TAKEN: _branch_taken,
    CHOICE_MADE: _choice_made,
    MASTERY_CHANGED: _mastery_changed,
    REVIEW_DONE: _review_done,
    FLAG_RAISED: _flag_raised,
    GOAL_SET: _goal_set,
    CONFIDENCE_GIVEN: _confidence_given,
    REFLECTION_SAVED: _reflection_saved,
}


def _activity(home: str, kind: str, lesson_id: str, *path: str) -> dict[str, Any]:
    # Quote every segment (xAPI: build IRIs with a library, not by concatenation alone).
    segments = ["lessons", lesson_id, *path]
    iri = home + "/" + "/".join(quote(s, safe="") for s in segments)
    return {"objectType": "Activity", "id": iri, "definition": {"type": _ACTIVITY_TYPES[kind]}}


def _step(e: Event, home: str) -> dict[str, Any]:
    return _activity(home, "step", e.lesson_id, "steps", _need(e, "step_id"))


def _check(e: Event, home: str) -> dict[str, Any]:
    return _activity(home, "check", e.lesson_id, "checks", _need(e, "check_id"))


def _skill(e: Event, home: str) -> dict[str, Any]:
    return _activity(home, "skill", e.lesson_id, "skills", _need_data(e, "skill"))


def _need(e: Event, name: str) -> str:
    value: str | None = getattr(e, name)
    if not value:
        raise ValueError(f"{e.type} event {e.uid} has no {name}: it cannot name its xAPI object")
    return value


def _need_data(e: Event, key: str) -> str:
    value = e.data.get(key)
    if not value:
        raise ValueError(f"{e.type} event {e.uid} has no data[{key!r}]: it cannot name its xAPI object")
    return str(value)


def _extensions(values: dict[str, Any]) -> dict[str, Any]:
    return {f"{VOCABULARY}/extensions/{key}": value for key, value in values.items() if value is not None}


def _response(answer: Any) -> str | None:
    """xAPI responses are strings: a non-string answer is kept as its JSON text."""
    if answer is None or isinstance(answer, str):
        return answer
    return json.dumps(answer, ensure_ascii=False, separators=(",", ":"))


def _duration(seconds: Any) -> str | None:
    """ISO 8601 duration in seconds, to the 0.01 s precision xAPI asks for."""
    if seconds is None:
        return None
    return "PT" + f"{float(seconds):.2f}".rstrip("0").rstrip(".") + "S"


def _timestamp(ts: float) -> str:
    moment = _dt.datetime.fromtimestamp(ts, tz=_dt.timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _statement_id(uid: str) -> str:
    """The event's uid as a UUID; a uid from elsewhere that is not one maps to a stable UUID5."""
    try:
        return str(uuid.UUID(hex=uid))
    except ValueError:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{VOCABULARY}/events/{uid}"))


def _prune(values: dict[str, Any]) -> dict[str, Any]:
    """Drop None values and empty objects: an LRS rejects nulls outside extensions."""
    return {k: v for k, v in values.items() if v is not None and v != {}}
