"""The guard between a student's code and the teacher's tests: one behaviour wherever tests run.

A teacher's tests run after the student's code and, in a notebook, in the student's own
namespace, so student code can try to make failing tests pass without touching them.  Before
each test the guard puts back, as they were when it took its snapshot (before any student code
ran):

* Python's builtins: the ``builtins`` module, the namespace's ``__builtins__``, and the
  student's globals that shadow a builtin the test reads (``sum = lambda *a: 385``) are
  hidden from the test and given back after it, so the student's later code sees its own;
* in an IPython kernel, the machinery that runs the cell and reports how it went: the input
  and AST transformers, the event callbacks, the custom exception handlers, the display
  objects, the methods patched onto the shell or the kernel, and every attribute of their
  classes and of the classes of the objects on that path, base classes included (a class-level
  ``InteractiveShell.run_cell`` that clears ``error_in_exec``, a silenced ``showtraceback``).
  After the test it checks that machinery again: what changed while the test ran (a thread
  re-patching it) voids the test.

And the test's comparisons (``==``, ``!=``, ``<`` ..., ``in``) are made by :func:`compare`,
which refuses, as a failed test, a value of one type compared with a value of another when
either decides the comparison with code the submission wrote or that answers yes to anything
(a class whose ``__eq__`` always returns ``True``), also as an element of a list, tuple, dict
or set, where Python asks the elements.  Values of one type are compared as Python compares
them, so a test of the student's own class still works, and honest work scores as under
nbgrader.

What it does not defend is in docs/grading.md ("What the judging defends"): code in the same
process as its tests can find the guard and disable it, reach objects below Python (ctypes),
or lie in a comparison function disguised as a library's.

This module imports only the standard library: its source is also run where lessonkit
cannot be imported (a contained code check's child), and compiled by the grading kernels' zygote
to be installed in each kernel (:func:`install`) without being imported there.
"""

from __future__ import annotations

import ast
import builtins
import operator
import os
import sys
import types
from collections.abc import Callable, Iterable, MutableMapping
from typing import Any

COMPARE = "_lessonkit_compare"
"""The name :func:`rewrite` calls :func:`compare` by; the test's namespace must bind it."""

_MISSING = object()
_type_dict = type.__dict__["__dict__"].__get__  # a metaclass can fake ``__dict__`` and ``__mro__``, not these
_type_mro = type.__dict__["__mro__"].__get__
_HEAP_TYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE: a class made at run time (by ``class``), not one built into C


class Untrusted(AssertionError):
    """A comparison the test cannot trust; an ``AssertionError``, so it fails the test."""


# --- builtins ---------------------------------------------------------------------------


class Guard:
    """The snapshot of the builtins, and what puts them back before a test.

    ``keep`` tells objects that are not the student's to restore: IPython and ipykernel
    re-bind some builtins on every execution (``input``, ``get_ipython``).
    """

    def __init__(self, keep: Callable[[Any], bool] = lambda value: False) -> None:
        self.pristine = {name: value for name, value in vars(builtins).items() if not keep(value)}
        self._hidden: dict[str, Any] = {}

    def before(self, namespace: MutableMapping[str, Any], names: Iterable[str]) -> list[str]:
        """Put the builtins back and hide the globals that shadow ``names``; what was undone."""
        undone = []
        current = vars(builtins)
        for name, value in self.pristine.items():
            if current.get(name, _MISSING) is not value:
                setattr(builtins, name, value)
                undone.append(f"builtins.{name}")
        if namespace.get("__builtins__", builtins) is not builtins:
            namespace["__builtins__"] = builtins
            undone.append("__builtins__")
        for name in names:
            value = namespace.get(name, _MISSING)
            if value is not _MISSING and name in self.pristine and value is not self.pristine[name]:
                self._hidden[name] = namespace.pop(name)
                undone.append(name)
        return undone

    def after(self, namespace: MutableMapping[str, Any]) -> None:
        """Give the student back the globals hidden from the test (unless the test rebound them)."""
        for name, value in self._hidden.items():
            namespace.setdefault(name, value)
        self._hidden.clear()

    def shadowing(self, namespace: MutableMapping[str, Any]) -> list[str]:
        """The names in ``namespace`` that shadow a builtin (all a test might read)."""
        return [name for name in namespace if name in self.pristine and not name.startswith("_")]

    def scope(self, namespace: MutableMapping[str, Any]) -> dict[str, Any]:
        """A copy of ``namespace`` for one test: the globals that shadow builtins bound to the real
        ones, the real ones its builtins, and :func:`compare` bound for :func:`rewrite`'s calls."""
        scope = dict(namespace)
        scope.update({name: self.pristine[name] for name in self.shadowing(namespace)})
        scope["__builtins__"] = self.pristine
        scope[COMPARE] = compare
        return scope


# --- comparisons ------------------------------------------------------------------------

_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
    ">=": operator.ge, "is": operator.is_, "is not": operator.is_not,
    "in": lambda item, collection: item in collection, "not in": lambda item, collection: item not in collection,
}
SYMBOLS: dict[type[ast.cmpop], str] = {
    ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
    ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in"}
"""The symbol :func:`compare` takes for each of Python's comparison operators."""
_ORDER = ("__lt__", "__le__", "__gt__", "__ge__")
_EQUALITY = ("__eq__", "__ne__")
_CONTAINER = ("__contains__", "__iter__", "__getitem__")
_PLAIN = frozenset({int, float, complex, bool, str, bytes, type(None)})  # compare only by value
_COLLECTIONS = (list, tuple, set, frozenset, dict)
_DEPTH = 20  # nesting the element-by-element check follows (deeper values compare unchecked)
_TRUSTED_C = (types.WrapperDescriptorType, types.MethodDescriptorType)  # slots of a type built into C
_LIBRARIES = tuple({os.path.realpath(p) + os.sep for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)})


def compare(symbol: str, left: Any, right: Any) -> Any:
    """``left <symbol> right`` as Python computes it, unless the comparison cannot be trusted
    (see the module docstring): then :class:`Untrusted` saying why."""
    if symbol not in ("is", "is not"):
        reason = _distrust_in(left, right) if symbol in ("in", "not in") else _distrust(symbol, left, right, 0)
        if reason:
            raise Untrusted(reason)
    return _OPERATORS[symbol](left, right)


def _distrust(symbol: str, left: Any, right: Any, depth: int) -> str | None:
    if type(left) is type(right):
        return _distrust_inside(symbol, left, right, depth) if type(left) in _COLLECTIONS else None
    names = _EQUALITY if symbol in ("==", "!=") else _ORDER
    for value, other in ((left, right), (right, left)):
        why = _decides(value, names, probe=names is _EQUALITY)
        if why:
            return f"{_a(value)} {why}; compared with {_a(other)}, the test cannot trust `{symbol}`"
    return None


def _distrust_inside(symbol: str, left: Any, right: Any, depth: int) -> str | None:
    """Two lists, tuples, sets or dicts: Python compares their elements with the elements' own
    comparisons, so ``[liar] == [1]`` is judged element by element (values built into Python,
    the usual case, at once)."""
    if depth >= _DEPTH or _kinds(left) | _kinds(right) <= _PLAIN:
        return None
    if isinstance(left, dict):
        why = _unmatched(left, right, "==")
        pairs: Iterable[tuple[Any, Any]] = [(value, right[key]) for key, value in left.items() if key in right]
    elif isinstance(left, (set, frozenset)):
        return _unmatched(left, right, symbol)
    else:
        why, pairs = None, zip(left, right)
    for one, other in pairs:
        if why:
            break
        why = _distrust("==", one, other, depth + 1)
        if symbol not in ("==", "!="):  # ordering asks each pair's == first, then the order
            why = why or _distrust(symbol, one, other, depth + 1)
    return why


def _unmatched(left: Iterable[Any], right: Iterable[Any], symbol: str) -> str | None:
    """Sets (or a dict's keys) are matched by hash and ``==``: an element of a type found on one
    side only must not decide ``==`` for itself."""
    kinds = (_kinds(left) ^ _kinds(right)) - _PLAIN
    for value in _one_of_each([*left, *right], kinds):
        why = _decides(value, _EQUALITY, probe=True)
        if why:
            return f"{_a(value)} {why}, so the test cannot trust `{symbol}`"
    return None


def _distrust_in(item: Any, collection: Any) -> str | None:
    why = _decides(collection, _CONTAINER, probe=False)
    if why:
        return f"{_a(collection)} {why}, so the test cannot trust `in`"
    elements = collection.keys() if isinstance(collection, dict) else \
        collection if type(collection) in _COLLECTIONS else ()
    kinds = _kinds(elements)
    suspects = [] if kinds == {type(item)} else [item]  # like among like: a test of the student's class
    for value in [*suspects, *_one_of_each(elements, kinds - _PLAIN - {type(item)})]:
        why = _decides(value, _EQUALITY, probe=True)
        if why:
            return f"{_a(value)} {why}, so the test cannot trust `in`"
    return None


def _kinds(values: Iterable[Any]) -> set[type]:
    """The types of a collection's elements (a dict's keys and values), at C speed."""
    kinds = set(map(type, values))
    return kinds | set(map(type, values.values())) if isinstance(values, dict) else kinds


def _one_of_each(values: Iterable[Any], kinds: set[type]) -> list[Any]:
    """An element of each of ``kinds`` (elements of one type share their comparison methods)."""
    found: dict[type, Any] = {}
    for value in values:
        if type(value) in kinds:
            found.setdefault(type(value), value)
    return list(found.values())


def _decides(value: Any, names: tuple[str, ...], *, probe: bool) -> str | None:
    """How ``value`` decides comparisons for itself, if in a way a test cannot trust."""
    for name in names:
        for klass in _type_mro(type(value)):
            found = _type_dict(klass).get(name, _MISSING)
            if found is _MISSING:
                continue
            if not _library(klass, found):
                return f"decides {name} with code of its own"
            break
    if probe:
        try:
            says = operator.eq(value, _Stranger()) is True
        except Exception:  # noqa: BLE001 - refusing a stranger is honest
            says = False
        if says:
            return "says it equals anything"
    return None


def _library(klass: type, found: Any) -> bool:
    """Whether a comparison method is Python's or an installed library's, not the submission's."""
    if not klass.__flags__ & _HEAP_TYPE or isinstance(found, _TRUSTED_C):
        return True
    code = getattr(found, "__code__", None)
    if not isinstance(found, types.FunctionType) or code is None:
        return False
    module = sys.modules.get(getattr(found, "__module__", None) or "")
    filename = getattr(module, "__file__", None)
    return bool(filename) and os.path.realpath(code.co_filename) == os.path.realpath(filename) and \
        os.path.realpath(filename).startswith(_LIBRARIES)


class _Stranger:
    """A value nothing honest equals."""

    __slots__ = ()


def _a(value: Any) -> str:
    """``a list``, ``an AlwaysEqual``: how a refusal names a value (never by its repr: it is the student's)."""
    name = type(value).__name__
    return ("an " if name[:1].lower() in "aeiou" else "a ") + name


def rewrite(tree: ast.AST) -> ast.AST:
    """``tree`` with each single comparison (``a == b``, not ``a < b < c``) a call of :func:`compare`.

    Operands are evaluated in the same order, once, and the result is the comparison's own,
    so a test means what it did; the call is made by the name :data:`COMPARE`.
    """
    return ast.fix_missing_locations(_Comparisons().visit(tree))


class _Comparisons(ast.NodeTransformer):
    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        self.generic_visit(node)
        symbol = SYMBOLS[type(node.ops[0])]
        if len(node.ops) > 1 or symbol in ("is", "is not"):  # identity cannot be faked
            return node
        call = ast.Call(ast.Name(COMPARE, ast.Load()), [ast.Constant(symbol), node.left, node.comparators[0]], [])
        return ast.copy_location(call, node)


# --- an IPython kernel ------------------------------------------------------------------


class Machinery:
    """The snapshot of what runs an IPython cell and reports how it went, and its restoring.

    The shell and the kernel (their instances and, through the whole MRO, their classes), and
    the objects on the path from a cell's source to its outputs: the compiler, the input
    transformer manager, the display objects, the traceback formatters, the event manager, the
    kernel's session and the streams.  Builtin types (``object``, ``dict``) cannot be patched
    and are left out.
    """

    _ON_SHELL = ("compile", "input_transformer_manager", "displayhook", "display_pub", "display_formatter",
                 "InteractiveTB", "SyntaxTB", "events", "custom_exceptions")
    _LISTS = ("input_transformers_cleanup", "input_transformers_post", "ast_transformers")

    def __init__(self, shell: Any) -> None:
        self.shell = shell
        self.kernel = getattr(shell, "kernel", None)
        self.attributes = {attr: getattr(shell, attr) for attr in self._ON_SHELL}
        self.lists = {attr: list(getattr(shell, attr)) for attr in self._LISTS}
        self.callbacks = {event: list(funcs) for event, funcs in shell.events.callbacks.items()}
        self.streams = {"stdout": sys.stdout, "stderr": sys.stderr}
        objects = [shell, self.kernel, getattr(self.kernel, "session", None), sys.stdout, sys.stderr,
                   *self.attributes.values()]
        self.instances = {id(obj): (obj, dict(vars(obj))) for obj in objects
                          if obj is not None and hasattr(obj, "__dict__")}
        self.classes = {klass: dict(_type_dict(klass)) for obj in objects if obj is not None
                        for klass in _type_mro(type(obj)) if klass.__flags__ & _HEAP_TYPE}

    def before_test(self) -> list[str]:
        """Put everything back, and have the test's comparisons rewritten (:func:`rewrite`) by an
        AST transformer of the guard's; what was undone."""
        undone = self.reporting()
        shell = self.shell
        for attr, original in self.attributes.items():
            if getattr(shell, attr) is not original:
                setattr(shell, attr, original)
                undone.append(attr)
        for attr, original in self.lists.items():
            if getattr(shell, attr) != original:
                undone.append(attr)
            getattr(shell, attr)[:] = original
        shell.ast_transformers.append(_Comparisons())
        shell.user_ns[COMPARE] = compare
        for event, original in self.callbacks.items():
            if shell.events.callbacks.get(event) != original:
                shell.events.callbacks[event] = list(original)
                undone.append(f"events.{event}")
        for name, stream in self.streams.items():
            if getattr(sys, name) is not stream:
                setattr(sys, name, stream)
                undone.append(f"sys.{name}")
        return undone

    def reporting(self) -> list[str]:
        """Put back what reports how a cell went, the methods and the custom exception handlers:
        all that still matters once the cell is running (its source is transformed by then)."""
        undone = self.methods()
        if self.shell.custom_exceptions != self.attributes["custom_exceptions"]:
            self.shell.custom_exceptions = self.attributes["custom_exceptions"]
            undone.append("custom_exceptions")
        return undone

    def methods(self) -> list[str]:
        """Put back the methods of the classes and instances above; what was changed."""
        undone = []
        for klass, before in self.classes.items():
            now = _type_dict(klass)
            for attr in [attr for attr in now if attr not in before]:
                delattr(klass, attr)
                undone.append(f"{klass.__name__}.{attr}")
            for attr, value in before.items():
                if now.get(attr, _MISSING) is not value:
                    setattr(klass, attr, value)
                    undone.append(f"{klass.__name__}.{attr}")
        for obj, before in self.instances.values():
            for attr, value in list(vars(obj).items()):
                if before.get(attr, _MISSING) is not value and callable(getattr(type(obj), attr, None)):
                    if attr in before:
                        setattr(obj, attr, before[attr])
                    else:
                        delattr(obj, attr)
                    undone.append(f"{type(obj).__name__}.{attr}")
        return undone

    def end_of_test(self) -> list[str]:
        """Drop the guard's AST transformer; what of the machinery changed while the test ran."""
        self.shell.ast_transformers[:] = [t for t in self.shell.ast_transformers if not isinstance(t, _Comparisons)]
        return self.methods()


def install(name: str) -> None:  # pragma: no cover  (runs in the kernel; tested through the grader)
    """In an IPython kernel, before any student code: register the guard as the module
    ``sys.modules[name]`` (a random name per kernel), with ``before(names)``, which returns what
    it undid, and ``after()``, which returns what changed during the test (see the module doc)."""
    shell = get_ipython()  # type: ignore[name-defined]  # noqa: F821  (an IPython kernel's builtin)
    theirs = (shell, getattr(shell, "kernel", None))
    guard = Guard(keep=lambda value: getattr(value, "__self__", None) in theirs)
    machinery = Machinery(shell)

    def before(names: list[str]) -> list[str]:
        return machinery.before_test() + guard.before(shell.user_ns, names)

    def after() -> list[str]:
        guard.after(shell.user_ns)
        return machinery.end_of_test()

    module = types.ModuleType(name)
    module.before = before  # type: ignore[attr-defined]
    module.after = after  # type: ignore[attr-defined]
    sys.modules[name] = module
