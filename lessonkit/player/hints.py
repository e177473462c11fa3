"""A check's hint ladder as the student climbs it: what the next rung offers and costs.

The teacher orders a check's hints from a nudge to the bottom-out (the answer itself).  A
rung may open only after some answers (so a student tries before asking), and may cost
points; both are announced before the student reveals it, never after.  Revealing one is
help, so the next answer to the item is no longer evidence of mastery (``items``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from lessonkit.player.flags import FlagWatch
from lessonkit.player.journal import Journal
from lessonkit.player.routing import Router
from lessonkit.progress import HINT_REVEALED, StudentState

__all__ = ["HintOffer", "Hints"]


@dataclass(frozen=True)
class HintOffer:
    """The next rung of a check's hint ladder, as the Hint button announces it.

    ``locked_for`` is how many more answers the student must submit before it opens
    (0: available now); ``cost`` is the points it takes off, told before revealing.
    """

    rung: int
    total: int
    cost: float
    bottom_out: bool
    locked_for: int


class Hints:
    """The hint ladders of one student's checks, read from what they revealed so far."""

    def __init__(self, checks: Mapping[str, Mapping[str, Any]], state: StudentState, router: Router,
                 flags: FlagWatch, journal: Journal,
                 current_item: Callable[[str], Mapping[str, Any]]) -> None:
        self._checks = checks
        self._current_item = current_item
        self._state = state
        self._router = router
        self._flags = flags
        self._journal = journal

    def texts(self, check_id: str) -> list[str]:
        """The ladder's texts for the item the student is on: a check with variants fills
        its hints in per item ("{a} + {b}"), so they follow the item when it changes."""
        texts = self._current_item(check_id).get("hints")
        return list(texts) if isinstance(texts, list) else [h["text"] for h in self._checks[check_id]["hints"]]

    def shown(self, check_id: str) -> list[str]:
        """The texts of the hints revealed so far, in ladder order, as the current item words them."""
        texts = self.texts(check_id)
        return [texts[rung] for rung in sorted(self._state.check(check_id).hints_revealed) if rung < len(texts)]

    def offer(self, check_id: str) -> HintOffer | None:
        """The next hint the student may ask for, or None when the ladder is used up."""
        hints = self._checks[check_id]["hints"]
        done = self._state.check(check_id)
        rung = len(done.hints_revealed)
        if rung >= len(hints):
            return None
        hint = hints[rung]
        locked_for = max(0, int(hint.get("after", 0)) - done.attempts)
        return HintOffer(rung, len(hints), float(hint.get("cost", 0.0)), bool(hint.get("bottom_out")), locked_for)

    def points_at_stake(self, check_id: str) -> float:
        """The points a check is worth now, after the costs of the hints revealed."""
        return max(0.0, float(self._checks[check_id]["points"]) - self._state.check(check_id).hint_cost)

    def reveal(self, check_id: str) -> str:
        """Reveal the next hint (its cost was announced by :meth:`offer`), record it with any
        flag it raises, and return its text.

        Raises ValueError when the ladder is used up or the next hint is still gated.
        """
        offer = self.offer(check_id)
        if offer is None:
            raise ValueError(f"check '{check_id}' has no more hints")
        if offer.locked_for:
            raise ValueError(f"the next hint of '{check_id}' opens after {offer.locked_for} more answer(s)")
        self._router.work_on(check_id)
        event = self._journal.event(HINT_REVEALED, check_id=check_id, data={
            "rung": offer.rung, "bottom_out": offer.bottom_out, "cost": offer.cost})
        self._journal.record([event, *self._flags.raised_by(event, {})])
        return self.texts(check_id)[offer.rung]
