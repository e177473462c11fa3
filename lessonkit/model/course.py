"""A course: lessons in an order, and the skills they share (``lessons/course.toml``).

Each lesson stands alone as a notebook; the course file is what makes a skill mastered in
one lesson count in the next.  A skill is the same skill in every lesson whose header
names its id, so the course file does not repeat the lessons' skills: it orders the lessons
and adds what no single lesson can say, the prerequisites that cross from one lesson to
another (``[skills.center] requires = ["accumulator"]``).

Parsing is here (TOML is the standard library's, so this stays layer 1); whether the lessons
and skills it names exist, and whether the prerequisites form a cycle, needs the lessons
themselves and is ``lessonkit.compile.course``'s job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import tomllib

from lessonkit.model.lesson import Lesson, Skill
from lessonkit.model.problems import LessonError, Problem, Where, did_you_mean, errors_in, id_list

__all__ = [
    "COURSE_FILE",
    "Course",
    "CourseLesson",
    "CoursePlan",
    "CourseSkill",
    "PlannedLesson",
    "parse_course",
    "plan_course",
    "read_course",
]

#: The course file's name in a folder of lessons.
COURSE_FILE = "course.toml"

_COURSE_FIELDS = ("id", "title", "description")
_LESSON_FIELDS = ("id", "path", "title")
_SKILL_FIELDS = ("name", "requires")


@dataclass(frozen=True)
class CourseLesson:
    """One lesson of the course; ``path`` is its notebook, relative to the course file."""

    id: str
    path: str
    title: str = ""
    where: Where = field(default_factory=Where, compare=False)


@dataclass(frozen=True)
class CourseSkill:
    """What the course adds to a skill the lessons define: a name and cross-lesson prerequisites."""

    id: str
    name: str = ""
    requires: tuple[str, ...] = ()
    where: Where = field(default_factory=Where, compare=False)


@dataclass(frozen=True)
class Course:
    """The course file, read: its lessons in the teacher's order and its skill tables."""

    id: str
    title: str
    lessons: tuple[CourseLesson, ...] = ()
    skills: Mapping[str, CourseSkill] = field(default_factory=dict)
    description: str = ""
    path: str = ""

    @property
    def folder(self) -> Path:
        return Path(self.path).parent

    def lesson_ids(self) -> tuple[str, ...]:
        return tuple(lesson.id for lesson in self.lessons)

    def notebook(self, lesson_id: str) -> Path:
        """Where a lesson's source notebook is (KeyError for a lesson not in the course)."""
        for lesson in self.lessons:
            if lesson.id == lesson_id:
                return self.folder / lesson.path
        raise KeyError(lesson_id)


def read_course(path: str | Path) -> Course:
    """The course at ``path``, or :class:`LessonError` listing every problem in the file."""
    course, problems = parse_course(path)
    errors = errors_in(problems)
    if course is None or errors:
        raise LessonError(errors or problems)
    return course


def parse_course(path: str | Path) -> tuple[Course | None, list[Problem]]:
    """Read a course file; the problems say file, table and field, and how to fix each."""
    path = Path(path)
    where = Where(path=str(path))
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        return None, [Problem(where, f"cannot read the course file ({error.strerror or error})")]
    except UnicodeDecodeError:
        return None, [Problem(where, "the course file is not UTF-8 text")]
    except tomllib.TOMLDecodeError as error:
        return None, [Problem(where, f"not valid TOML: {error}", "see https://toml.io for the syntax")]
    reader = _CourseReader(where)
    return reader.course(raw, str(path)), reader.problems


class _CourseReader:
    def __init__(self, where: Where) -> None:
        self.where = where
        self.problems: list[Problem] = []

    def problem(self, where: Where, message: str, hint: str = "") -> None:
        self.problems.append(Problem(where, message, hint))

    def _unknown(self, table: Mapping[str, Any], known: tuple[str, ...], where: Where) -> None:
        for key in table:
            if key not in known:
                hint = did_you_mean(key, known) or f"fields: {', '.join(known)}"
                self.problem(where.at(key), f"unknown field '{key}'", hint)

    def _text(self, table: Mapping[str, Any], key: str, where: Where, default: str = "") -> str:
        value = table.get(key, default)
        if not isinstance(value, str):
            self.problem(where.at(key), f"must be a string, not {type(value).__name__}")
            return default
        return value

    def course(self, raw: Mapping[str, Any], path: str) -> Course | None:
        self._unknown(raw, ("course", "lessons", "skills"), self.where)
        header = raw.get("course", {})
        head = self.where.of("table [course]")
        if not isinstance(header, dict):
            self.problem(head, "[course] must be a table", 'write [course] then id = "..." and title = "..."')
            header = {}
        self._unknown(header, _COURSE_FIELDS, head)
        course_id = self._text(header, "id", head)
        if not course_id:
            self.problem(head.at("id"), "the course needs an id", 'id = "foundations"')
        lessons = self._lessons(raw.get("lessons", []))
        skills = self._skills(raw.get("skills", {}))
        if not course_id:
            return None
        return Course(course_id, self._text(header, "title", head) or course_id, lessons, skills,
                      self._text(header, "description", head), path)

    def _lessons(self, raw: Any) -> tuple[CourseLesson, ...]:
        where = self.where.of("[[lessons]]")
        if not isinstance(raw, list) or not raw:
            self.problem(where, "the course lists no lessons",
                         'add one [[lessons]] table per lesson, in order, each with id = "..."')
            return ()
        lessons, seen = [], set()
        for index, table in enumerate(raw):
            here = self.where.of(f"table [[lessons]] #{index + 1}")
            if not isinstance(table, dict):
                self.problem(here, "each lesson is a [[lessons]] table")
                continue
            self._unknown(table, _LESSON_FIELDS, here)
            lesson_id = self._text(table, "id", here)
            if not lesson_id:
                self.problem(here.at("id"), "a lesson needs the id its lk.lesson(...) header gives it")
                continue
            here = here.of(f"table [[lessons]] #{index + 1} (id '{lesson_id}')")
            if lesson_id in seen:
                self.problem(here.at("id"), f"the lesson '{lesson_id}' is listed twice")
                continue
            seen.add(lesson_id)
            default_path = f"{lesson_id}/{lesson_id}.ipynb"
            lessons.append(CourseLesson(lesson_id, self._text(table, "path", here, default_path) or default_path,
                                        self._text(table, "title", here), here))
        return tuple(lessons)

    def _skills(self, raw: Any) -> dict[str, CourseSkill]:
        if not isinstance(raw, dict):
            self.problem(self.where.of("[skills]"), "skills are tables: [skills.<id>]")
            return {}
        skills = {}
        for skill_id, table in raw.items():
            here = self.where.of(f"table [skills.{skill_id}]")
            if not isinstance(table, dict):
                self.problem(here, f"[skills.{skill_id}] must be a table", 'e.g. requires = ["other-skill"]')
                continue
            self._unknown(table, _SKILL_FIELDS, here)
            requires = id_list(table.get("requires", []))
            if requires is None:
                self.problem(here.at("requires"), "must be a list of skill ids")
                requires = []
            skills[skill_id] = CourseSkill(skill_id, self._text(table, "name", here), tuple(requires), here)
        return skills


@dataclass(frozen=True)
class PlannedLesson:
    """A lesson as the course sees it: its place, title and the skills it practises."""

    id: str
    title: str
    skills: tuple[str, ...]


@dataclass(frozen=True)
class CoursePlan:
    """The course with its lessons' skills merged into one graph: what mastery and
    recommendation across lessons need, and nothing of any lesson's content or answers.

    ``skills`` holds every skill of every lesson once (the first lesson to define a skill
    gives its parameters), its ``requires`` extended by the course file's tables.
    """

    id: str
    title: str
    lessons: tuple[PlannedLesson, ...]
    skills: Mapping[str, Skill]

    def lesson(self, lesson_id: str) -> PlannedLesson:
        for lesson in self.lessons:
            if lesson.id == lesson_id:
                return lesson
        raise KeyError(lesson_id)

    def taught_in(self, skill_id: str) -> tuple[str, ...]:
        """The lessons that practise a skill, in course order."""
        return tuple(lesson.id for lesson in self.lessons if skill_id in lesson.skills)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON: what a built lesson carries so its player can read mastery across the course."""
        return {"id": self.id, "title": self.title,
                "lessons": [{"id": l.id, "title": l.title, "skills": list(l.skills)} for l in self.lessons],
                "skills": {s.id: {"name": s.name, "requires": list(s.requires), "prior": s.prior,
                                  "learn": s.learn, "guess": s.guess, "slip": s.slip}
                           for s in self.skills.values()}}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> CoursePlan:
        return cls(str(raw["id"]), str(raw.get("title", raw["id"])),
                   tuple(PlannedLesson(l["id"], l.get("title", l["id"]), tuple(l.get("skills", ())))
                         for l in raw.get("lessons", ())),
                   {sid: Skill(sid, s.get("name", sid), tuple(s.get("requires", ())), s.get("prior", 0.2),
                               s.get("learn", 0.15), s.get("guess", 0.2), s.get("slip", 0.1))
                    for sid, s in raw.get("skills", {}).items()})


def plan_course(course: Course, lessons: Mapping[str, Lesson]) -> CoursePlan:
    """Merge a course file and its (already read) lessons into one :class:`CoursePlan`.

    A lesson missing from ``lessons`` (it could not be read) is left out rather than
    guessed at; validation reports why it is missing.
    """
    skills: dict[str, Skill] = {}
    planned = []
    for entry in course.lessons:
        lesson = lessons.get(entry.id)
        if lesson is None:
            continue
        practised = tuple(dict.fromkeys(s for c in lesson.checks.values() for s in c.skills)) or tuple(lesson.skills)
        planned.append(PlannedLesson(entry.id, entry.title or lesson.title, tuple(
            dict.fromkeys((*lesson.skills, *practised)))))
        for skill in lesson.skills.values():
            skills.setdefault(skill.id, skill)
    for extra in course.skills.values():
        if extra.id in skills:
            base = skills[extra.id]
            skills[extra.id] = replace(base, name=extra.name or base.name,
                                       requires=tuple(dict.fromkeys((*base.requires, *extra.requires))))
    return CoursePlan(course.id, course.title, tuple(planned), skills)
