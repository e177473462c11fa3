"""How a contained child starts this Python, wherever it is installed (architecture §6).

The child must run the very interpreter the server runs, and find the same packages, whether
lessonkit is installed in a virtual environment (``sys.executable`` a symlink, packages in a
folder the base installation does not know about), in a prefix of its own (conda), or in the
system; and it must do so in whatever the sandbox lets it see:

* **Paths** (:attr:`Interpreter.binds`): inside bubblewrap, or as the user that owns the
  installation, the child uses the interpreter by its path.  Kernels start it as
  ``sys.executable``, so a virtual environment's ``pyvenv.cfg`` is read and its packages are
  where they are for the server; the sandbox binds exactly these folders (:attr:`binds`).
* **Descriptors**: as root without bubblewrap, a child with a uid of its own may not be able
  to enter the folders above the installation (``/root/.pyenv``), so the interpreter, its
  standard library and each import path entry travel as open file descriptors
  (``/proc/self/fd/N``), usable without any permission on the folders above.

Either way the import path is not the server's own ``sys.path`` (which holds the script's
folder, ``PYTHONPATH`` and whatever a program added at run time, a checkout's tests folder
say) but the one a fresh process of this environment gets (:func:`environment_path`), with
lessonkit's own folder first: a child finds lessonkit where the server found it, even when
that is a checkout on ``PYTHONPATH``, and from such a checkout only the package itself is
made visible, not the repository around it.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import sysconfig
from collections.abc import Mapping
from dataclasses import dataclass, field

import lessonkit

PACKAGE_DIR = os.path.dirname(os.path.abspath(lessonkit.__file__))
"""The lessonkit package this process runs: what a child imports as ``lessonkit``."""


@dataclass(frozen=True)
class Interpreter:
    """How a contained child starts this Python: the command's start, environment, descriptors.

    ``path`` is the import path a child that imports packages sets as its ``sys.path`` before
    anything else (the kernel zygote: ``python -I -c SOURCE PATH_AS_JSON``); ``binds`` and
    ``hidden`` are what a sandbox must show of the file system for this interpreter to run
    (:class:`lessonkit.engine.bwrap.View`).  Pass ``fds`` to the child
    (``Popen(pass_fds=...)``) and close them here once it has started.
    """

    argv: tuple[str, ...]
    env: Mapping[str, str]
    fds: tuple[int, ...] = ()
    path: tuple[str, ...] = ()
    binds: tuple[str, ...] = field(default=(), repr=False)
    hidden: tuple[str, ...] = field(default=(), repr=False)


def interpreter(*, packages: bool, by_descriptor: bool) -> Interpreter:
    """This Python for a contained child: the standard library only, or with the environment's ``packages``.

    ``by_descriptor`` is for a child running as another uid with no sandbox to show it the
    installation's folders (root without bubblewrap).  Without packages the child is run
    isolated and without site-packages (the caller adds ``-S``); with them, the caller
    passes :attr:`Interpreter.path` to it.
    """
    executable = os.path.realpath(sys.executable)
    library = _libpython()
    env = {"LD_LIBRARY_PATH": os.path.dirname(library)} if library else {}  # else the loader may take the system's
    path = _import_path() if packages else ()
    if by_descriptor:
        return _by_descriptor(executable, path)
    if not packages:
        stdlib, hidden = _standard_library()
        return Interpreter((executable, "-I"), env, binds=(executable, *stdlib, *filter(None, [library])),
                           hidden=hidden)
    prefixes = {sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix}
    home = os.path.dirname(PACKAGE_DIR)
    shown = (entry for entry in environment_path()
             if entry != home or os.path.basename(entry) in ("site-packages", "dist-packages"))
    binds = (*prefixes, sys.executable, executable, *filter(None, [library]), PACKAGE_DIR, *shown)
    return Interpreter((sys.executable, "-I"), env, path=path, binds=binds)


def _by_descriptor(executable: str, path: tuple[str, ...]) -> Interpreter:
    """The interpreter, its prefix and each import path entry as descriptors the child inherits."""
    fds = [os.open(executable, os.O_RDONLY), os.open(sys.base_prefix, os.O_RDONLY | os.O_DIRECTORY)]
    home = f"/proc/self/fd/{fds[1]}"
    translated = []
    for entry in path:
        if not os.path.isdir(entry):
            continue
        fds.append(os.open(entry, os.O_RDONLY | os.O_DIRECTORY))
        translated.append(f"/proc/self/fd/{fds[-1]}")
    return Interpreter((f"/proc/self/fd/{fds[0]}", "-s"), {"PYTHONHOME": home, "LD_LIBRARY_PATH": f"{home}/lib"},
                       tuple(fds), tuple(translated))


def _import_path() -> tuple[str, ...]:
    """lessonkit's folder, then :func:`environment_path` without it.

    Of a folder that is not a site-packages (a checkout), a sandbox shows only the package.
    """
    home = os.path.dirname(PACKAGE_DIR)
    return (home, *(entry for entry in environment_path() if entry != home))


@functools.cache
def environment_path() -> tuple[str, ...]:
    """``sys.path`` as a fresh, isolated process of this environment has it (site-packages and ``.pth`` entries).

    Asked of the interpreter itself, once: working it out here would mean redoing what
    ``site`` does for virtual environments, prefixes and ``.pth`` files.
    """
    done = subprocess.run([sys.executable, "-I", "-c", "import json, sys; print(json.dumps(sys.path))"],
                          capture_output=True, text=True, check=True)
    return tuple(entry for entry in json.loads(done.stdout) if entry)


def _standard_library() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The standard library's folders, and the site-packages folders inside them (to hide)."""
    paths = sysconfig.get_paths(vars={"base": sys.base_prefix, "platbase": sys.base_exec_prefix,
                                      "installed_base": sys.base_prefix, "installed_platbase": sys.base_exec_prefix})
    stdlib = tuple(dict.fromkeys([paths["stdlib"], paths["platstdlib"],
                                  os.path.join(paths["platstdlib"], "lib-dynload")]))
    inside = {paths["purelib"], paths["platlib"]}
    hidden = tuple(p for p in inside if os.path.isdir(p) and any(p.startswith(s + os.sep) for s in stdlib))
    return stdlib, hidden


@functools.cache
def _libpython() -> str | None:
    """The shared ``libpython`` this process has loaded, ``None`` for a statically linked Python."""
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split(maxsplit=5)[-1].strip()
            if os.path.basename(path).startswith("libpython"):
                return path
    return None
