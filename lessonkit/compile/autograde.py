"""What the nbgrader source asks of ``nbgrader autograde``: quiet on honest work.

nbgrader's ``generate_assignment`` stores each locked cell's checksum in the gradebook
*before* it clears the hidden tests (``ComputeChecksums``, ``SaveCells``, then
``ClearHiddenTests``), so the released cell never matches it: ``autograde``'s
``OverwriteCells`` warns "Attribute 'checksum' for cell ... has changed!" for every grade cell
with hidden tests on an untouched submission (nbgrader issue #1961), which reads to a
teacher as tampering.  Every lessonkit grade cell that holds an answer key has hidden tests,
so every submission would warn.

:class:`HonestOverwriteCells` is ``OverwriteCells`` (it still restores every locked cell from
the gradebook, hidden tests included) that stays quiet about exactly that difference: when
the submitted source is the gradebook's source with its hidden tests cleared, as released.
Any other change to a locked cell is still reported.  The course's ``nbgrader_config.py``
puts it in ``Autograde.sanitize_preprocessors`` (docs/grading.md).
"""

from __future__ import annotations

from typing import Any

from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode
from nbgrader.api import MissingEntry
from nbgrader.preprocessors import (
    CheckCellMetadata,
    ClearHiddenTests,
    ClearOutput,
    DeduplicateIds,
    OverwriteCells,
    OverwriteKernelspec,
)

__all__ = ["SANITIZE_PREPROCESSORS", "HonestOverwriteCells"]


class HonestOverwriteCells(OverwriteCells):
    """nbgrader's ``OverwriteCells``, silent about a locked cell whose only change is the
    hidden tests ``generate_assignment`` cleared (see the module doc)."""

    _as_released: str | None = None

    def preprocess_cell(self, cell: NotebookNode, resources: ResourcesDict,
                        cell_index: int) -> tuple[NotebookNode, ResourcesDict]:
        self._as_released = self._released_source(cell)
        try:
            return super().preprocess_cell(cell, resources, cell_index)
        finally:
            self._as_released = None

    def report_change(self, name: str, attr: str, old: Any, new: Any) -> None:
        if attr == "checksum" and self._as_released is not None:
            self.log.debug("Cell %s is as released (its hidden tests were cleared); restoring them", name)
            return
        super().report_change(name, attr, old, new)

    def _released_source(self, cell: NotebookNode) -> str | None:
        """The submitted source, if it is the gradebook's with only its hidden tests cleared."""
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id is None:
            return None
        try:
            source = self.gradebook.find_source_cell(grade_id, self.notebook_id, self.assignment_id)
        except MissingEntry:
            return None
        if not source.locked or source.cell_type != cell.cell_type:
            return None
        released = NotebookNode(cell_type=source.cell_type, source=source.source, metadata={})
        if not ClearHiddenTests()._remove_hidden_test_region(released):
            return None  # no hidden tests: any difference is a change
        return cell.source if released.source == cell.source else None


#: nbgrader's own ``Autograde.sanitize_preprocessors``, with the quiet ``OverwriteCells``
SANITIZE_PREPROCESSORS = [ClearOutput, DeduplicateIds, OverwriteKernelspec, HonestOverwriteCells, CheckCellMetadata]
