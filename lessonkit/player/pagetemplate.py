"""Where Voila finds lessonkit's page template, ``voila --template=lessonkit``.

The template (``extensions/voila-template``) is a Voila template folder: Voila looks for
``voila/templates/<name>`` under each Jupyter data directory (``<prefix>/share/jupyter``,
``JUPYTER_PATH``).  A wheel installs it there (pyproject's ``data-files``).  An editable
install (``pip install -e .``) does not: setuptools leaves data files out of editable
installs, so a server run from a source checkout must add the checkout's own copy to
Voila's search path; :func:`source_template_root` says where it is.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["TEMPLATE_NAME", "VOILA_TEMPLATE_ARGUMENT", "source_template_root"]

TEMPLATE_NAME = "lessonkit"
#: What selects the template on Voila's command line (``--template=lessonkit`` is its alias).
VOILA_TEMPLATE_ARGUMENT = f"--VoilaConfiguration.template={TEMPLATE_NAME}"

_SOURCE_ROOT = Path(__file__).resolve().parents[2] / "extensions" / "voila-template" / "share" / "jupyter"


def source_template_root() -> Path | None:
    """The Jupyter data directory holding the template in this source checkout (laid out as
    installed, so it can go first on ``JUPYTER_PATH``), or None for an installed lessonkit,
    whose template is in ``<prefix>/share/jupyter`` already."""
    return _SOURCE_ROOT if (_SOURCE_ROOT / "voila" / "templates" / TEMPLATE_NAME / "conf.json").is_file() else None
