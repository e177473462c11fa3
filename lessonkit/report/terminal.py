"""The report as a few lines for the terminal: who needs help, the groups, the hardest checks.

What a teacher glances at between two lessons; the details are in the HTML file.
"""

from __future__ import annotations

from lessonkit.report.stats import ClassReport


def summary(report: ClassReport, *, hardest: int = 3) -> str:
    lines = [(f"{report.lesson_id}: {len(report.students)} students, {len(report.skills)} skills, "
              f"{len(report.checks)} checks, {report.events} events")]
    lines.append(f"Needs help now ({len(report.needs_help)}):" if report.needs_help else "Needs help now: nobody")
    for h in report.needs_help:
        lines.append(f"  {h.student}" + (f" on {h.skill}" if h.skill else "") + f": {'; '.join(h.evidence)}")
        lines.append(f"    try: {h.suggestions[0]}")
    lines.append("Groups for tomorrow:")
    lines += [f"  {g.title} ({len(g.members)}): {', '.join(g.members)}" for g in report.groups]
    checks = sorted(report.checks, key=lambda c: c.first_attempt_facility)[:hardest]
    if checks:
        lines.append("Hardest checks (right first time):")
        for c in checks:
            wrong = f", most common wrong answer {c.wrong_answers[0][0]!r} ×{c.wrong_answers[0][1]}" \
                if c.wrong_answers else ""
            fired = (f"; your feedback[{c.feedback_fired[0].feedback}] shown ×{c.feedback_fired[0].count}"
                     if c.feedback_fired else "")
            lines.append(f"  {c.check_id}: {100 * c.first_attempt_facility:.0f}% of {c.students}{wrong}{fired}")
    return "\n".join(lines)
