"""The test guard, run inside each student's kernel (its source is sent there, not imported).

nbgrader runs a teacher's tests in the student's own namespace, after the student's code, so
a submission can make failing tests pass without touching them (architecture §8): rebind a builtin
the tests call (``sum = lambda *a: 385``), patch the ``builtins`` module, install an input or
AST transformer that rewrites the test cell, or a custom exception handler that swallows its
``AssertionError``.  Before the student's first cell, :func:`install` takes a snapshot of
these; before each test cell the grader calls ``before(names)``, which puts them back and
hides the student's globals that shadow the builtins the test reads, and ``after()``
re-binds those globals, so the student's own later cells see what they defined.

This raises the bar, it is not a wall: code in the same process can always find and defeat
a guard written in Python (a class-level patch of IPython, an ``__eq__`` that always says
``True``).  The grader notices when the guard itself is gone and scores that test 0.
"""

from __future__ import annotations


def install(name: str) -> None:  # pragma: no cover  (runs in the kernel; tested through the grader)
    """Register the guard as module ``sys.modules[name]`` (a random name per kernel)."""
    import builtins
    import sys
    import types

    shell = get_ipython()  # type: ignore[name-defined]  # noqa: F821  (an IPython kernel's builtin)
    kernel = getattr(shell, "kernel", None)
    namespace = shell.user_ns
    # IPython and ipykernel re-bind some builtins on every execution (input, get_ipython):
    # those are theirs to manage, not a student's trick
    pristine = {key: value for key, value in vars(builtins).items()
                if getattr(value, "__self__", None) not in (shell, kernel)}
    transformers = {attr: list(getattr(shell, attr)) for attr in
                    ("input_transformers_cleanup", "input_transformers_post", "ast_transformers")}
    callbacks = {event: list(funcs) for event, funcs in shell.events.callbacks.items()}
    objects = {attr: getattr(shell, attr) for attr in ("displayhook", "display_pub", "display_formatter")}
    custom_exceptions = shell.custom_exceptions
    instance_state = {id(obj): dict(vars(obj)) for obj in (shell, kernel) if obj is not None}
    hidden: dict[str, object] = {}
    missing = object()

    def restore_instance(obj: object, label: str, undone: list[str]) -> None:
        """Drop methods patched onto the instance (``shell.run_cell = ...``)."""
        before = instance_state[id(obj)]
        for attr, value in list(vars(obj).items()):
            if before.get(attr, missing) is not value and callable(getattr(type(obj), attr, None)):
                if attr in before:
                    setattr(obj, attr, before[attr])
                else:
                    delattr(obj, attr)
                undone.append(f"{label}.{attr}")

    def before_test(names: list[str]) -> list[str]:
        """Undo the tricks above; return what was undone, for the grader's report."""
        undone: list[str] = []
        current = vars(builtins)
        for key, value in pristine.items():
            if current.get(key, missing) is not value:
                setattr(builtins, key, value)
                undone.append(f"builtins.{key}")
        if namespace.get("__builtins__", builtins) is not builtins:
            namespace["__builtins__"] = builtins
            undone.append("__builtins__")
        for attr, original in transformers.items():
            if getattr(shell, attr) != original:
                getattr(shell, attr)[:] = original
                undone.append(attr)
        for event, original in callbacks.items():
            if shell.events.callbacks.get(event) != original:
                shell.events.callbacks[event] = list(original)
                undone.append(f"events.{event}")
        for attr, original in objects.items():
            if getattr(shell, attr) is not original:
                setattr(shell, attr, original)
                undone.append(attr)
        if shell.custom_exceptions != custom_exceptions:
            shell.custom_exceptions = custom_exceptions
            undone.append("custom_exceptions")
        restore_instance(shell, "shell", undone)
        if kernel is not None:
            restore_instance(kernel, "kernel", undone)
        for builtin_name in names:
            value = namespace.get(builtin_name, missing)
            if value is not missing and value is not pristine.get(builtin_name):
                hidden[builtin_name] = namespace.pop(builtin_name)
                undone.append(builtin_name)
        return undone

    def after_test() -> bool:
        """Give the student back the globals hidden from the test (unless the test rebound them)."""
        for builtin_name, value in hidden.items():
            namespace.setdefault(builtin_name, value)
        hidden.clear()
        return True

    guard = types.ModuleType(name)
    guard.before = before_test  # type: ignore[attr-defined]
    guard.after = after_test  # type: ignore[attr-defined]
    sys.modules[name] = guard
