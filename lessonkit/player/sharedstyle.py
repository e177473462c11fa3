"""One default Layout, and one default style of each kind, shared by a page's widgets that keep theirs.

ipywidgets gives every widget a Layout and most a style object of their own, each a widget model
of its own: 69 of the 111 models of the fractions lesson's first page.  Each model is a message
the kernel sends, the server decodes and relays, and the browser builds, for every student who
opens a page; with thirty students opening one at once that is most of the server's work.  A
widget that keeps the defaults needs no model of its own, so a page kernel shares one: about 60
models fewer per page.

A shared one must never change (it would change every widget that shares it), so it refuses to:
a widget whose layout or style the page changes later is given its own (``layout=Layout()``).
Only page kernels share (:func:`share_defaults`, from :mod:`lessonkit.player.pagestart`): in a
notebook, a student's own widgets may change their layouts freely.
"""

from __future__ import annotations

import functools
from typing import Any

import ipywidgets as widgets
from ipywidgets.widgets.trait_types import InstanceDict
from traitlets import TraitError

__all__ = ["share_defaults"]

_shared: dict[type, widgets.Widget] = {}


def _refuse(change: dict[str, Any]) -> None:
    raise TraitError(
        f"the {type(change['owner']).__name__} shared by every widget of the page that keeps its default "
        f"was changed ({change['name']} = {change['new']!r}): give that widget its own, e.g. "
        "layout=widgets.Layout() (lessonkit/player/sharedstyle.py)")


def _default(klass: type) -> widgets.Widget:
    """The shared instance of ``klass``, made anew when the last one was closed (the rehearsal closes
    every widget it made: :func:`lessonkit.player.pagestart.rehearse`)."""
    shared = _shared.get(klass)
    if shared is None or shared.comm is None:
        shared = _shared[klass] = klass()
        shared.observe(_refuse, names=[name for name in shared.keys if not name.startswith("_")])
    return shared


def _widget_classes() -> list[type]:
    found, todo = [], [widgets.DOMWidget]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo += cls.__subclasses__()
    return found


def share_defaults() -> None:
    """From now on in this kernel, a widget made without a layout or style gets the shared one."""
    for cls in _widget_classes():
        for name in ("layout", "style"):
            trait = cls.class_traits().get(name)
            if isinstance(trait, InstanceDict) and isinstance(trait.klass, type):
                trait.make_dynamic_default = functools.partial(_default, trait.klass)
