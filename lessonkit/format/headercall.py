"""The header's own fields, ``lk.lesson(skills=..., mastery=...)``: the skills a lesson teaches
and the policy that says when one is mastered, each read with the problems a teacher can make in it."""

from __future__ import annotations

from lessonkit.format.arguments import ID, Arguments, is_number
from lessonkit.format.calls import Call
from lessonkit.model import MasteryPolicy, Skill, id_list

SKILL_FIELDS = ("name", "requires", "prior", "learn", "guess", "slip")


def read_skills(call: Call, args: Arguments) -> dict[str, Skill]:
    """The skills by id; a skill given as its name alone has the default BKT parameters."""
    raw = args.typed(call, "skills", dict, {})
    skills = {}
    for skill_id, spec in raw.items():
        where = call.where.at(f"skills.{skill_id}")
        if not isinstance(skill_id, str) or not ID.match(skill_id):
            args.problem(where, "a skill id is made of letters, digits, - and _")
            continue
        if isinstance(spec, str):
            spec = {"name": spec}
        if not isinstance(spec, dict):
            args.problem(where, 'a skill is {"name": ..., "requires": [...]} or just its name')
            continue
        for key in set(spec) - set(SKILL_FIELDS):
            args.problem(where.at(key), f"a skill has no field '{key}'", f"fields: {', '.join(SKILL_FIELDS)}")
        params = {}
        for key in ("prior", "learn", "guess", "slip"):
            if key in spec:
                value = spec[key]
                if not (is_number(value) and 0 < value < 1):
                    args.problem(where.at(key), "must be a probability strictly between 0 and 1")
                else:
                    params[key] = float(value)
        requires = id_list(spec.get("requires", []))
        if requires is None:
            args.problem(where.at("requires"), "must be a list of skill ids")
            requires = []
        skills[skill_id] = Skill(skill_id, str(spec.get("name", skill_id)), tuple(requires), **params)
    return skills


def read_mastery(call: Call, args: Arguments) -> MasteryPolicy:
    """The lesson's mastery policy; what is missing or wrong keeps the default's value."""
    raw = args.typed(call, "mastery", dict, {})
    where = call.where.at("mastery")
    for key in set(raw) - {"threshold", "min_evidence", "max_items"}:
        args.problem(where.at(key), f"the mastery policy has no field '{key}'",
                     "fields: threshold, min_evidence, max_items")
    policy = MasteryPolicy()
    threshold = raw.get("threshold", policy.threshold)
    if not (is_number(threshold) and 0 < threshold <= 1):
        args.problem(where.at("threshold"), "must be a probability above 0 and at most 1")
        threshold = policy.threshold
    counts = {}
    for key in ("min_evidence", "max_items"):
        value = raw.get(key, getattr(policy, key))
        if not (is_number(value, whole=True) and value >= 1):
            args.problem(where.at(key), "must be a whole number, 1 or more")
            value = getattr(policy, key)
        counts[key] = value
    if counts["max_items"] < counts["min_evidence"]:
        args.problem(where.at("max_items"), "must be at least min_evidence, or nobody could master the skill")
    return MasteryPolicy(float(threshold), counts["min_evidence"], counts["max_items"])
