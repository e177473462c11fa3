"""Validating a course file against its lessons, and what a built lesson learns of its course.

``lessonkit validate lessons/`` checks each lesson and, when ``lessons/course.toml`` is
there, the course: every lesson it lists must exist and carry the id the course gives it,
every skill table must name a skill some lesson defines, every prerequisite must be a known
skill, and the prerequisites of all lessons together must not form a cycle (a student
could never start any skill on it).  Lessons are read statically, as ``validate`` reads
them, so checking a course runs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

from lessonkit.format.reader import parse_lesson
from lessonkit.model import Lesson, Problem, Skill, Where, did_you_mean, errors_in
from lessonkit.model.course import (
    COURSE_FILE,
    Course,
    CoursePlan,
    parse_course,
    plan_course,
)

__all__ = ["CourseReport", "course_entry", "course_to_validate", "find_course", "validate_course"]


@dataclass
class CourseReport:
    """The outcome of validating a course file: the course, the lessons read, every problem."""

    path: Path
    course: Course | None
    lessons: dict[str, Lesson] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return errors_in(self.problems)

    @property
    def ok(self) -> bool:
        return self.course is not None and not self.errors

    def plan(self) -> CoursePlan:
        """The merged course (raises ValueError when the course file could not be read)."""
        if self.course is None:
            raise ValueError(f"{self.path}: the course could not be read")
        return plan_course(self.course, self.lessons)


def find_course(path: str | Path) -> Path | None:
    """The course file that governs ``path``: the file itself, the folder's ``course.toml``,
    or, for a lesson notebook, the one in the folder above its own (``lessons/course.toml``
    for ``lessons/fractions/fractions.ipynb``)."""
    path = Path(path)
    if path.is_file() and path.suffix == ".toml":
        return path
    for folder in ([path] if path.is_dir() else []) + [path.parent, path.parent.parent]:
        candidate = folder / COURSE_FILE
        if candidate.is_file():
            return candidate
    return None


def validate_course(path: str | Path) -> CourseReport:
    """Read and check a course file and every lesson it lists (statically: nothing runs)."""
    path = Path(path)
    course, problems = parse_course(path)
    report = CourseReport(path, course, problems=problems)
    if course is None:
        return report
    for entry in course.lessons:
        notebook = course.folder / entry.path
        if not notebook.is_file():
            known = sorted(p.name for p in course.folder.iterdir() if p.is_dir() and not p.name.startswith("."))
            hint = did_you_mean(entry.id, known) or f"lesson folders here: {', '.join(known) or 'none'}"
            report.problems.append(Problem(entry.where.at("id"), f"unknown lesson '{entry.id}': no notebook at "
                                           f"{notebook}", f"{hint}; or give its notebook as path = \"...\""))
            continue
        lesson, lesson_problems = parse_lesson(notebook)
        if lesson is None or errors_in(lesson_problems):
            report.problems.append(Problem(entry.where, f"the lesson at {notebook} has errors",
                                           f"run lessonkit validate {notebook}"))
        if lesson is None:
            continue
        if lesson.id != entry.id:
            report.problems.append(Problem(entry.where.at("id"), f"the notebook at {notebook} is lesson "
                                           f"'{lesson.id}', not '{entry.id}'", f"write id = \"{lesson.id}\""))
        report.lessons[entry.id] = lesson
    # a skill of a lesson that could not be read would be reported unknown too: one problem is enough
    complete = len(report.lessons) == len(course.lessons)
    report.problems.extend(_skill_problems(course, report.lessons, complete))
    return report


def _skill_problems(course: Course, lessons: dict[str, Lesson], complete: bool) -> list[Problem]:
    problems = []
    defined: dict[str, Skill] = {}
    where_defined: dict[str, str] = {}
    for lesson_id, lesson in lessons.items():
        for skill in lesson.skills.values():
            first = defined.setdefault(skill.id, skill)
            where_defined.setdefault(skill.id, lesson_id)
            if first is not skill and _parameters(first) != _parameters(skill):
                problems.append(Problem(lesson.where.at(f"skills.{skill.id}"),
                                        f"the skill '{skill.id}' has other BKT parameters than in lesson "
                                        f"'{where_defined[skill.id]}'; the course uses the first lesson's",
                                        "give a shared skill the same prior, learn, guess and slip everywhere",
                                        severity="warning"))
    for extra in course.skills.values() if complete else ():
        if extra.id not in defined:
            hint = did_you_mean(extra.id, defined) or "a course skill table adds to a skill some lesson's header defines"
            problems.append(Problem(extra.where, f"unknown skill '{extra.id}': no lesson of the course defines it",
                                    hint))
        for index, required in enumerate(extra.requires):
            if required not in defined:
                hint = did_you_mean(required, defined) or f"skills of the course: {', '.join(sorted(defined))}"
                problems.append(Problem(extra.where.at(f"requires[{index}]"),
                                        f"unknown skill '{required}' in requires", hint))
    problems.extend(_cycles(course, lessons))
    return problems


def _parameters(skill: Skill) -> tuple[float, ...]:
    return (skill.prior, skill.learn, skill.guess, skill.slip)


def _cycles(course: Course, lessons: dict[str, Lesson]) -> list[Problem]:
    """One problem per prerequisite cycle of the merged graph, named skill by skill with the
    lesson (or course table) where each link is declared, so the teacher sees which to cut."""
    plan = plan_course(course, lessons)
    declared: dict[tuple[str, str], str] = {}
    for lesson_id, lesson in lessons.items():
        for skill in lesson.skills.values():
            for required in skill.requires:
                declared.setdefault((skill.id, required), f"lesson '{lesson_id}'")
    for extra in course.skills.values():
        for required in extra.requires:
            declared.setdefault((extra.id, required), f"[skills.{extra.id}]")
    problems, reported = [], set()
    for cycle in _find_cycles(plan.skills):
        key = frozenset(cycle)
        if key in reported:
            continue
        reported.add(key)
        links = ", ".join(f"'{a}' requires '{b}' ({declared.get((a, b), '?')})" for a, b in pairwise(cycle))
        course_links = [a for a, b in pairwise(cycle) if declared.get((a, b), "").startswith("[")]
        where = course.skills[course_links[0]].where.at("requires") if course_links else Where(course.path)
        problems.append(Problem(where, f"prerequisite cycle across lessons: {links}",
                                "remove one of these requires so the skills can be learned in some order"))
    return problems


def _find_cycles(skills: dict[str, Skill] | Any) -> list[list[str]]:
    """Every elementary cycle reachable by depth-first search, as a closed path [a, b, ..., a]."""
    cycles, state = [], {}
    stack: list[str] = []

    def visit(skill_id: str) -> None:
        state[skill_id] = "open"
        stack.append(skill_id)
        for required in skills[skill_id].requires:
            if required not in skills:
                continue
            if state.get(required) == "open":
                cycles.append(stack[stack.index(required):] + [required])
            elif required not in state:
                visit(required)
        stack.pop()
        state[skill_id] = "done"

    for skill_id in skills:
        if skill_id not in state:
            visit(skill_id)
    return cycles


def course_entry(source: str | Path) -> dict[str, Any]:
    """What a built lesson carries of its course (``{"course": plan}``), or nothing.

    Only ids, titles, skill names and parameters: the other lessons' content and answers
    stay out of this lesson's artifacts.  A course with errors is left out (``validate``
    says why) so that one broken sibling never stops a lesson from building.
    """
    found = find_course(source)
    if found is None:
        return {}
    report = validate_course(found)
    lesson_path = Path(source).resolve()
    if not report.ok or report.course is None or not any(
            (report.course.folder / entry.path).resolve() == lesson_path for entry in report.course.lessons):
        return {}
    return {"course": report.plan().to_dict()}


def course_to_validate(path: str | Path) -> tuple[Path | None, bool]:
    """For ``lessonkit validate PATH``: the course file to check with the lessons, and whether
    PATH is the course file itself (then its lessons are checked through it, not as notebooks)."""
    path = Path(path)
    if path.suffix == ".toml":
        return path, True
    return (path / COURSE_FILE if (path / COURSE_FILE).is_file() else None), False
