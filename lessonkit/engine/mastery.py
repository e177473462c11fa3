"""Mastery of a skill: Bayesian Knowledge Tracing, closed form (architecture §7).

Each skill carries four parameters (:class:`lessonkit.model.Skill`): ``prior`` P(L0),
``learn`` P(T), ``guess`` P(G) and ``slip`` P(S), no forgetting.  One observation costs
a handful of float operations, so a student kernel can update mastery after every answer
without numpy; pyBKT (CAHLR) stays the reference the tests compare against and the tool
to fit parameters from class data.

Convention (the same as pyBKT's ``Roster``): ``SkillMastery.p`` is the probability that
the skill is learned *at the student's next opportunity*, given everything observed so
far.  Before any evidence it is ``prior``; an observation first conditions on the answer
(Bayes' rule with guess and slip), then applies the learning transition::

    posterior = p(1-S) / (p(1-S) + (1-p)G)        if correct
              = pS / (pS + (1-p)(1-G))            if incorrect
    p'        = posterior + (1 - posterior) T

pyBKT's ``Roster.update_state`` appends an empty slot after the observed answer and
reports the forward state prediction for that slot, which is exactly ``p'``.

Which answers count is the evidence rule (:func:`evidence_of`); when a skill counts as
mastered, and when practice must stop, is the :class:`lessonkit.model.MasteryPolicy`.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Mapping

from lessonkit.model import MasteryPolicy, Skill

if TYPE_CHECKING:
    from pyBKT.models import Model

__all__ = [
    "SkillMastery",
    "evidence_of",
    "pybkt_model",
    "update",
    "void_item",
    "weakest_prerequisite",
]


@dataclass(frozen=True, slots=True)
class SkillMastery:
    """One student's mastery of one skill.

    ``p`` follows the module's convention (learned at the next opportunity).  ``evidence``
    counts observations fed to BKT; ``items`` counts the items practised since practice
    (re)started, evidence or not, so that a student who voids every item with the
    bottom-out hint still reaches the escape hatch (architecture §7: never an endless loop).
    """

    p: float
    evidence: int = 0
    items: int = 0
    mastered: bool = False
    needs_remediation: bool = False

    @classmethod
    def initial(cls, skill: Skill) -> SkillMastery:
        """The state before any evidence: the skill's prior, nothing practised."""
        return cls(p=skill.prior)


def _judged(policy: MasteryPolicy, p: float, evidence: int, items: int) -> SkillMastery:
    """Apply the policy: mastered needs both the probability and enough items of evidence
    (a single lucky streak from a high prior must not count); remediation after
    ``max_items`` without mastery."""
    mastered = p >= policy.threshold and evidence >= policy.min_evidence
    # positional: this runs after every answer, and keywords cost a third of the update
    return SkillMastery(p, evidence, items, mastered, not mastered and items >= policy.max_items)


def update(
    skill: Skill, policy: MasteryPolicy, state: SkillMastery | None, correct: bool
) -> SkillMastery:
    """The state after one observation (``state=None``: no evidence yet, start from the prior).

    Mastery is re-judged after every observation, so a wrong answer after mastery can take
    it away again; that is what BKT says and what a failed review relies on.
    """
    if state is None:
        state = SkillMastery.initial(skill)
    p = state.p
    if correct:
        known = p * (1.0 - skill.slip)
        posterior = known / (known + (1.0 - p) * skill.guess)
    else:
        known = p * skill.slip
        posterior = known / (known + (1.0 - p) * (1.0 - skill.guess))
    p_next = posterior + (1.0 - posterior) * skill.learn
    return _judged(policy, p_next, state.evidence + 1, state.items + 1)


def void_item(skill: Skill, policy: MasteryPolicy, state: SkillMastery | None) -> SkillMastery:
    """Count an item practised without evidence (a bottom-out hint voided it).

    The probability stays as it was; only the item budget moves towards remediation.
    """
    if state is None:
        state = SkillMastery.initial(skill)
    return _judged(policy, state.p, state.evidence, state.items + 1)


def evidence_of(
    first_attempt: bool,
    fresh_item: bool,
    hints_before_submit: int,
    bottom_out: bool,
    correct: bool,
) -> bool | None:
    """The observation one submission gives BKT, or ``None`` when it is not evidence.

    architecture §7: evidence is the first attempt at a fresh item, without help.  A retry (or
    a repeat of an item already seen) gives feedback, not evidence; a bottom-out hint
    shows the answer's shape, so it voids the item whatever the answer; any other hint
    before the first submission means the student needed help: incorrect evidence.
    """
    if bottom_out or not (first_attempt and fresh_item):
        return None
    if hints_before_submit > 0:
        return False
    return correct


def weakest_prerequisite(
    lesson_skills: Mapping[str, Skill],
    skill_id: str,
    masteries: Mapping[str, SkillMastery],
) -> str:
    """Where remediation should send a student stuck on ``skill_id`` (architecture §7).

    The unmastered transitive prerequisite with the lowest mastery probability (a skill
    without a mastery record counts at its prior); ties go to the nearest prerequisite,
    then to the order of ``requires``.  When every prerequisite is mastered, or there are
    none, the gap is in the skill itself, so the answer is ``skill_id``.  Unknown ids and
    cycles (the validator reports both) are skipped rather than raised in a student kernel.
    """
    weakest, lowest = skill_id, float("inf")
    seen = {skill_id}
    queue = deque(lesson_skills[skill_id].requires if skill_id in lesson_skills else ())
    while queue:
        current = queue.popleft()
        if current in seen or current not in lesson_skills:
            continue
        seen.add(current)
        skill = lesson_skills[current]
        state = masteries.get(current) or SkillMastery.initial(skill)
        if not state.mastered and state.p < lowest:
            weakest, lowest = current, state.p
        queue.extend(skill.requires)
    return weakest



def pybkt_model(skills: Iterable[Skill]) -> Model:
    """A pyBKT ``Model`` holding these skills' parameters (no forgetting), unfitted.

    The bridge to the reference implementation: give it to ``pyBKT.models.Roster`` to
    trace students exactly as :func:`update` does, or use it as the starting point of
    ``Model.fit`` on class data.  ``parallel=False``: with pyBKT's default every single
    update starts a process pool.  Needs the optional ``pyBKT`` (imported here only).
    """
    import numpy as np
    from pyBKT.models import Model

    model = Model(parallel=False)
    skills = list(skills)
    model.coef_ = {
        s.id: {
            "prior": s.prior,
            "learns": np.array([s.learn]),
            "forgets": np.array([0.0]),
            "guesses": np.array([s.guess]),
            "slips": np.array([s.slip]),
        }
        for s in skills
    }
    for s in skills:  # what Model.fit adds for a skill with one learn and one guess/slip class
        model.fit_model[s.id].update(
            pi_0=np.array([[1.0 - s.prior], [s.prior]]),
            resource_names={"default": 1},
            gs_names={"default": 0},
        )
    return model
