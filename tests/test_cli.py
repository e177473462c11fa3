"""The ``lessonkit`` command as a newcomer meets it: every verb explains itself, ``--help``
loads no workflow, and bad input is a message naming what and where, never a traceback."""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys

import pytest

from lessonkit.cli import VERBS, parser, verb_name


def lessonkit(*argv: str, cwd: object = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lessonkit", *argv], capture_output=True, text=True,
                          timeout=300, cwd=cwd)


def flat(text: str) -> str:
    """argparse rewraps descriptions to the terminal: compare words, not lines."""
    return " ".join(text.split())


@pytest.mark.parametrize("module", VERBS)
def test_every_verb_has_help_with_its_one_line_description(module):
    summary = importlib.import_module(f"lessonkit.cli.{module}").SUMMARY
    assert "\n" not in summary and summary[0].isupper() and not summary.endswith(".")
    done = lessonkit(verb_name(module), "--help")
    assert done.returncode == 0, done.stderr
    assert flat(summary) in flat(done.stdout)
    assert done.stdout.startswith(f"usage: lessonkit {verb_name(module)}")


def test_every_option_of_every_verb_says_what_it_is_for():
    verbs = next(a for a in parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert sorted(verbs.choices) == sorted(map(verb_name, VERBS))
    silent = [f"{name} {action.dest}" for name, command in verbs.choices.items() for action in command._actions
              if not (action.help or "").strip()]
    assert not silent, f"options without help: {silent}"


def test_the_top_help_lists_every_verb_and_loads_no_workflow():
    probe = ("import json, sys\nfrom lessonkit.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n"
             "    pass\nprint(json.dumps(sorted(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    *help_lines, last = done.stdout.splitlines()
    modules = json.loads(last)
    for module in VERBS:
        assert verb_name(module) in "\n".join(help_lines)
    loaded = [m for m in modules if m.split(".")[0] in {"nbgrader", "nbformat", "traitlets", "tqdm", "sqlalchemy",
                                                        "voila", "dask", "jupyter_client"}
              or m.startswith(("lessonkit.compile", "lessonkit.grade", "lessonkit.serve", "lessonkit.engine"))]
    assert not loaded, f"lessonkit --help imported {loaded}"


#: per verb: arguments that are wrong, the exit code, and what the message must name
BAD_INPUT = {
    "new": (["not an id!", "--folder", "{tmp}"], 1, ["'not an id!'", "is not a lesson id"]),
    "validate": (["{tmp}/nowhere"], 2, ["lessonkit validate:", "{tmp}/nowhere", "no such file or folder"]),
    "build": (["{tmp}"], 2, ["lessonkit build:", "{tmp}", "no lesson notebooks found"]),
    "paths": (["{tmp}"], 2, ["lessonkit paths:", "{tmp}", "no lesson notebooks found"]),
    "serve": (["{tmp}/nowhere"], 2, ["lessonkit serve:", "{tmp}/nowhere", "no such file or folder"]),
    "class_": (["--roster", "{tmp}/r.sqlite", "import", "{tmp}/nowhere.csv"], 2,
               ["lessonkit class:", "{tmp}/nowhere.csv", "no such file or folder"]),
    "grade": (["ps1", "--course", "{tmp}/nowhere"], 2, ["lessonkit grade:", "{tmp}/nowhere", "no such course folder"]),
    "report": (["--store", "{tmp}/nowhere.sqlite", "--lesson", "x"], 2, ["lessonkit report:", "{tmp}/nowhere.sqlite",
                                                                         "no event store at"]),
    "portfolio": (["--student", "ana", "--lessons", "{tmp}/nowhere"], 2,
                  ["lessonkit portfolio:", "{tmp}/nowhere", "no such lesson, folder or course file"]),
    "export": (["--store", "{tmp}/nowhere.sqlite", "--lesson", "x", "--format", "xapi"], 2,
               ["lessonkit export:", "{tmp}/nowhere.sqlite", "no event store at"]),
    "fit": (["{tmp}/nowhere"], 2, ["lessonkit fit:", "{tmp}/nowhere", "no such file or folder"]),
    "import_nbgrader": (["{tmp}"], 2, ["lessonkit import-nbgrader:", "{tmp}", "no notebooks found"]),
    "secure_store": (["--store", "sqlite:///{tmp}/p.sqlite"], 2, ["lessonkit secure-store:", "need PostgreSQL, not sqlite"]),
}


def test_bad_input_is_covered_for_every_verb():
    assert sorted(BAD_INPUT) == sorted(VERBS)


@pytest.mark.parametrize("module", VERBS)
def test_bad_input_exits_non_zero_naming_what_and_where(module, tmp_path):
    argv, code, words = BAD_INPUT[module]
    done = lessonkit(verb_name(module), *(a.format(tmp=tmp_path) for a in argv), cwd=tmp_path)
    assert done.returncode == code, done.stderr
    for word in words:
        assert word.format(tmp=tmp_path) in done.stderr
    assert "Traceback" not in done.stderr


def test_an_unknown_verb_or_option_is_refused_by_name():
    done = lessonkit("valdiate", "x")
    assert done.returncode == 2 and "valdiate" in done.stderr
    done = lessonkit("build", "x", "--ot", "y")
    assert done.returncode == 2 and "--ot" in done.stderr
