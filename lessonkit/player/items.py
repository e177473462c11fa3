"""Which item of a check the student's next answer goes to, and what the evidence rule needs
to know about it.

A check's items are its variants.  What counts as evidence of mastery follows architecture
§7 (``engine.mastery.evidence_of``): the first answer to a fresh item, without help.  So
after a wrong answer the next try is the next item, and on a page coming back to a step
after a right answer brings a new item too: practice keeps giving evidence.  All of this is
folded from the student's events, so a resumed session shows the item the first one would.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lessonkit.engine.path import LessonPath
from lessonkit.progress import ANSWERED, HINT_REVEALED, STEP_ENTERED, Event

__all__ = ["ItemTrack", "Items"]


@dataclass
class ItemTrack:
    """Per check, what the evidence rule needs beyond ``StudentState``: the current item,
    the items already answered, and the help asked for since the last answer."""

    current: int
    since: float  # when the item was shown or last acted on (for elapsed_s)
    seen: set[int] = field(default_factory=set)
    hints: int = 0
    bottom_out: bool = False
    answered_here: bool = False  # answered since its step was last entered (a review counts once)


class Items:
    """The item tracks of one student's checks.

    The first item is drawn from the student and check ids, so two students side by side
    see different variants while one student always starts on the same one.
    """

    def __init__(self, checks: Mapping[str, Mapping[str, Any]], path: LessonPath, student_id: str, *,
                 mode: str, clock: Callable[[], float]) -> None:
        self._checks = checks
        self._path = path
        self._student_id = student_id
        self._mode = mode
        self._clock = clock
        self._tracks: dict[str, ItemTrack] = {}

    def track(self, check_id: str) -> ItemTrack:
        """The check's track, started on the student's own first item when first needed."""
        track = self._tracks.get(check_id)
        if track is None:
            count = len(self._checks[check_id]["items"])
            seed = hashlib.sha256(f"{self._student_id}\x1f{check_id}".encode()).digest()
            track = self._tracks[check_id] = ItemTrack(int.from_bytes(seed[:4], "big") % count, since=self._clock())
        return track

    def current(self, check_id: str) -> tuple[int, Mapping[str, Any]]:
        """The item the student's next answer to a check goes to, and its index."""
        index = self.track(check_id).current
        return index, self._checks[check_id]["items"][index]

    def enter(self, step_id: str, when: float) -> None:
        """Coming (back) to a step.  On a page, a check whose item was already answered
        offers a new one (the step is drawn afresh).  A notebook's check stays on the item
        its widget shows, so that what the student answers is what gets judged."""
        for check_id in self._path.checks_of(step_id):
            track = self.track(check_id)
            track.since, track.answered_here = when, False
            if self._mode == "page" and track.current in track.seen:
                self._next_item(check_id)

    def fold(self, event: Event) -> None:
        """Entering a step, answering and asking for help move the tracks."""
        if event.type == STEP_ENTERED and event.step_id in self._path.steps:
            self.enter(event.step_id, event.ts)
        check_id, data = event.check_id, event.data
        if check_id is None or check_id not in self._checks:
            return
        track = self.track(check_id)
        if event.type == ANSWERED:
            item = data.get("item")
            track.seen.add(item if isinstance(item, int) else track.current)
            track.hints, track.bottom_out, track.since, track.answered_here = 0, False, event.ts, True
            if data.get("correct") is False:
                self._next_item(check_id)
        elif event.type == HINT_REVEALED:
            track.hints += 1
            track.bottom_out = track.bottom_out or bool(data.get("bottom_out"))
            track.since = event.ts

    def _next_item(self, check_id: str) -> None:
        """Move a check on to its next item, preferring one the student has not seen."""
        track = self.track(check_id)
        count = len(self._checks[check_id]["items"])
        if count < 2:
            return
        order = [(track.current + k) % count for k in range(1, count + 1)]
        track.current = next((i for i in order if i not in track.seen), order[0])
