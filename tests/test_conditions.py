"""The condition language (docs/authoring.md): every operator, every function, every
error a teacher can make, and hostile input that must be refused quickly and clearly."""

from __future__ import annotations

import ast
import inspect
import sys
import time

import pytest

from lessonkit.engine import conditions
from lessonkit.engine.conditions import (
    FUNCTION_ID_KINDS,
    FUNCTIONS,
    ConditionError,
    compile_condition,
    evaluate_expression,
    evaluate_template,
    first_matching_rule,
    render_value,
)
from lessonkit.model import Rule


class Student:
    """A ConditionContext with fixed answers that records what was asked."""

    def __init__(self, **overrides):
        self.asked: list[tuple[str, str]] = []
        self.values = {
            "mastery": 0.75,
            "mastered": True,
            "needs_remediation": False,
            "evidence": 4,
            "attempts": 3,
            "score": 0.5,
            "correct": False,
            "visible_passed": True,
            "hints": 2,
            "chose": "Music",
            "visits": 1,
            **overrides,
        }

    def __getattr__(self, name):
        if name not in FUNCTION_ID_KINDS:
            raise AttributeError(name)

        def read(ident):
            self.asked.append((name, ident))
            return self.values[name]

        return read


def value(source, variables=None, student=None):
    condition = compile_condition(source, variables=variables or {})
    return condition.evaluate(student or Student(), variables or {})


def refused(source, variables=(), *, evaluate=False) -> ConditionError:
    """The error for ``source`` (at compile time, or at evaluation with ``evaluate``)."""
    started = time.perf_counter()
    with pytest.raises(ConditionError) as info:
        condition = compile_condition(source, variables=variables)
        if evaluate:
            condition.evaluate(Student(), {name: 2 for name in variables})
        pytest.fail(f"{source!r} was accepted")
    assert time.perf_counter() - started < 1.0, f"{source!r} took too long to refuse"
    return info.value


# --- operators -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "source, expected",
    [
        ("1 + 2", 3),
        ("7 - 10", -3),
        ("6 * 7", 42),
        ("7 / 2", 3.5),
        ("7 // 2", 3),
        ("7 % 3", 1),
        ("2 ** 10", 1024),
        ("2 ** -1", 0.5),
        ("-3 + +2", -1),
        ("2 + 3 * 4 ** 2", 50),
        ("(2 + 3) * 4", 20),
        ("'ab' + 'cd'", "abcd"),
        ("'ab' * 3", "ababab"),
        ("2 * 'x'", "xx"),
        ("True + 1", 2),
        ("1.5 * 2", 3.0),
    ],
)
def test_arithmetic(source, expected):
    assert value(source) == expected


@pytest.mark.parametrize(
    "source, expected",
    [
        ("1 < 2", True),
        ("2 <= 2", True),
        ("1 > 2", False),
        ("3 >= 2", True),
        ("'a' == 'a'", True),
        ("1 != 1", False),
        ("2 in [1, 2]", True),
        ("2 in (1, 3)", False),
        ("'x' not in ['a', 'b']", True),
        ("'us' in 'Music'", True),
        ("0 < 0.5 < 1", True),
        ("0 < 2 < 1", False),
        ("1 == 1.0", True),
        ("'1' == 1", False),
    ],
)
def test_comparisons(source, expected):
    assert value(source) is expected


@pytest.mark.parametrize(
    "source, expected",
    [
        ("True and False", False),
        ("True or False", True),
        ("not True", False),
        ("not 0", True),
        ("1 and 2", 2),  # as in Python: the deciding operand
        ("0 or 'x'", "x"),
        ("True and True and 3", 3),
        ("False or 0 or ''", ""),
        ("not (1 < 2 and 2 < 1)", True),
    ],
)
def test_boolean_operators(source, expected):
    assert value(source) == expected


def test_and_or_short_circuit():
    assert value("False and 1 / 0") is False
    assert value("True or 1 / 0") is True
    assert value("0 < 2 < 1 < 1 / 0") is False


def test_elements_of_a_list_after_in_are_expressions():
    assert value("mastery('s') in [0.5 + 0.25, 1]") is True


# --- functions -----------------------------------------------------------------------


@pytest.mark.parametrize("function", list(FUNCTION_ID_KINDS))
def test_every_student_function_reads_the_context(function):
    student = Student()
    condition = compile_condition(f"{function}('some-id_2')")
    assert condition.evaluate(student) == student.values[function]
    assert student.asked == [(function, "some-id_2")]
    assert condition.references == {(function, "some-id_2")}


def test_function_id_kinds_cover_the_documented_table():
    assert dict(FUNCTION_ID_KINDS) == {
        "mastery": "skill", "mastered": "skill", "needs_remediation": "skill", "evidence": "skill",
        "attempts": "check", "score": "check", "correct": "check", "visible_passed": "check", "hints": "check",
        "chose": "choice", "visits": "step",
    }
    assert set(FUNCTIONS) == set(FUNCTION_ID_KINDS) | {"min", "max", "abs", "round"}


@pytest.mark.parametrize(
    "source, expected",
    [
        ("min(3, 1, 2)", 1),
        ("max(3, 1, 2)", 3),
        ("min('b', 'a')", "a"),
        ("abs(-2.5)", 2.5),
        ("round(2.567, 2)", 2.57),
        ("round(2.5)", 2),
        ("round(1234, -2)", 1200),
        ("max(mastery('a'), 0.9)", 0.9),
    ],
)
def test_pure_functions(source, expected):
    assert value(source) == expected


def test_references_of_the_documented_examples():
    condition = compile_condition("needs_remediation('add-unlike') or attempts('half-plus-quarter') >= 3")
    assert condition.references == {("needs_remediation", "add-unlike"), ("attempts", "half-plus-quarter")}
    assert compile_condition("chose('theme') == 'Music'").evaluate(Student()) is True
    assert compile_condition("1 < 2").references == set()


def test_references_cannot_be_changed_from_outside():
    condition = compile_condition("mastered('a')")
    condition.references.add(("mastered", "b"))
    assert condition.references == {("mastered", "a")}


def test_variables():
    condition = compile_condition("a * 2 > b", variables=["a", "b"])
    assert condition.evaluate(Student(), {"a": 3, "b": 5}) is True
    assert condition.variables == frozenset({"a", "b"})
    error = pytest.raises(ConditionError, condition.evaluate, Student(), {"a": 3}).value
    assert error.message == "no value was given for 'b'" and error.offset == 8


# --- errors a teacher makes ----------------------------------------------------------


@pytest.mark.parametrize(
    "source, message, offset",
    [
        ("mastry('a')", "unknown function 'mastry' (did you mean 'mastery'?)", 0),
        ("attempts('c') > 1 and mastred('a')", "unknown function 'mastred' (did you mean 'mastered'?)", 22),
        ("print(1)", "unknown function 'print': the functions are " + ", ".join(FUNCTIONS), 0),
        ("mastery(fractions)", "only literal ids are allowed in mastery(...): write mastery('my-skill')", 8),
        ("attempts(1)", "only literal ids are allowed in attempts(...): write attempts('my-check')", 9),
        ("visits('a' + 'b')", "only literal ids are allowed in visits(...): write visits('my-step')", 7),
        ("mastered('add unlike')", "'add unlike' is not a valid skill id (letters, digits, '-' and '_' only)", 9),
        ("chose('')", "'' is not a valid choice id (letters, digits, '-' and '_' only)", 6),
        ("mastery('a', 'b')", "mastery(...) takes one skill id, as in mastery('my-skill')", 0),
        ("score()", "score(...) takes one check id, as in score('my-check')", 0),
        ("max(1)", "max(...) takes at least two values", 0),
        ("min()", "min(...) takes at least two values", 0),
        ("abs(1, 2)", "abs(...) takes one number", 0),
        ("round(1, 2, 3)", "round(...) takes a number and, optionally, a number of digits", 0),
        ("round(1, ndigits=2)", "round(...) takes no keyword arguments", 17),
        ("mastered", "'mastered' is a function: call it, as in mastered('id')", 0),
        ("max", "'max' is a function: call it, as in max(...)", 0),
        ("true", "unknown name 'true' (did you mean 'True'?)", 0),
        ("fractions > 1", "unknown name 'fractions' (ids are written in quotes, inside a function: mastered('skill-id'))", 0),
        ("x = 1", "use '==' to compare ('=' is not allowed)", 2),
        ("mastered('a') && mastered('b')", "use 'and' instead of '&&'", 14),
        ("mastered('a') || mastered('b')", "use 'or' instead of '||'", 14),
        ("!mastered('a')", "use 'not' instead of '!'", 0),
        ("mastered('a') and", "the expression ends too early: something is missing at the end", 17),
        ("mastery('a'", "syntax error: '(' was never closed", 7),
        ("mastery('a') >> 1", "the operator '>>' is not allowed", 0),
        ("1 is 1", "use '==' instead of 'is'", 5),
        ("1 is not 2", "use '!=' instead of 'is'", 9),
        ("None", "None is not allowed: use numbers, text, True or False", 0),
        ("b'x' == 1", "bytes is not allowed: use numbers, text, True or False", 0),
        ("2j", "complex is not allowed: use numbers, text, True or False", 0),
        ("", "the expression is empty", 0),
        ("   ", "the expression is empty", 0),
        ("[1, 2]", "a list is only allowed after 'in' or 'not in'", 0),
        ("1 == (1, 2)", "a list is only allowed after 'in' or 'not in'", 5),
        ("1 if mastered('a') else 0", "'... if ... else ...' is not allowed: write one branch rule per case", 0),
        ("{'a': 1}", "dictionaries are not allowed", 0),
        ("1 in {1, 2}", "sets are not allowed: use a list after 'in'", 5),
        ("f'{1}' == '1'", "f-strings are not allowed", 0),
        ("(x := 1)", "':=' is not allowed", 1),
        ("max(*[1, 2])", "'*' unpacking is not allowed", 4),
        ("~1", "'~' is not allowed", 0),
    ],
)
def test_teacher_errors(source, message, offset):
    error = refused(source)
    assert (error.message, error.offset) == (message, offset)
    assert str(error) == message


@pytest.mark.parametrize("symbol", ["@", "<<", ">>", "&", "|", "^"])
def test_forbidden_binary_operators(symbol):
    assert refused(f"1 {symbol} 2").message == f"the operator '{symbol}' is not allowed"


def test_offsets_count_characters_after_leading_space_and_non_ascii():
    assert refused("  mastry('a')").offset == 2
    assert refused("chose('t') == 'é' and mastry('a')").offset == 22
    assert refused("(mastered('a')\n and mastry('b'))").offset == 20


def test_unknown_variable_suggests_a_close_one():
    assert refused("denomintor + 1", ["denominator", "a"]).message == (
        "unknown name 'denomintor' (did you mean 'denominator'?)"
    )
    assert refused("c + 1", ["b", "a"]).message == "unknown name 'c': the variables are a, b"


# --- errors that show at run time ----------------------------------------------------


@pytest.mark.parametrize(
    "source, message, offset",
    [
        ("1 / 0", "division by zero in '/'", 0),
        ("mastered('a') and 1 // 0", "division by zero in '//'", 18),
        ("1 % 0", "division by zero in '%'", 0),
        ("'a' - 'b'", "'-' cannot combine text and text", 0),
        ("'a' + 1", "'+' cannot combine text and a number", 0),
        ("'%s' % 1", "'%' cannot combine text and a number", 0),
        ("'a' * 1.5", "'*' cannot combine text and a number", 0),
        ("-'a'", "'-' needs a number, not text", 0),
        ("1 < 'a'", "'<' cannot compare a number with text", 4),
        ("1 in 'abc'", "'in' cannot compare a number with text", 5),
        ("abs('a')", "abs(...) cannot take text", 0),
        ("min(1, 'a')", "min(...) cannot take a number and text", 0),
        ("round(1e308 * 10)", "round(...) cannot take a number", 0),
        ("round(1.5, 0.5)", "round(x, n) needs a whole number n between -100 and 100", 0),
        ("(-8) ** 0.5", "the result of '**' is not a real number", 0),
        ("10.0 ** 400", "the result of '**' is too large", 0),
        ("2 ** 10000 / 3", "2 ** 10000 is too large to compute", 0),
    ],
)
def test_run_time_errors(source, message, offset):
    error = refused(source, evaluate=True)
    assert (error.message, error.offset) == (message, offset)


# --- hostile input -------------------------------------------------------------------


@pytest.mark.parametrize(
    "source, message",
    [
        ("().__class__", "attribute access ('.__class__') is not allowed"),
        ("().__class__.__bases__[0].__subclasses__()", "attribute access ('.__subclasses__') is not allowed"),
        ("'x'.join(['a'])", "attribute access ('.join') is not allowed"),
        ("mastery('a').real", "attribute access ('.real') is not allowed"),
        ("__import__('os').system('rm -rf /')", "attribute access ('.system') is not allowed"),
        ("__import__('os')", "unknown function '__import__': the functions are " + ", ".join(FUNCTIONS)),
        ("eval('1')", "unknown function 'eval': the functions are " + ", ".join(FUNCTIONS)),
        ("exec('x=1')", "unknown function 'exec': the functions are " + ", ".join(FUNCTIONS)),
        ("open('/etc/passwd')", "unknown function 'open': the functions are " + ", ".join(FUNCTIONS)),
        ("getattr(1, 'real')", "unknown function 'getattr': the functions are " + ", ".join(FUNCTIONS)),
        ("__builtins__", "unknown name '__builtins__' (ids are written in quotes, inside a function: mastered('skill-id'))"),
        ("'abc'[0]", "indexing and slicing ('[...]') are not allowed"),
        ("'abc'[::-1]", "indexing and slicing ('[...]') are not allowed"),
        ("(lambda: 1)()", "only these functions can be called: " + ", ".join(FUNCTIONS)),
        ("lambda: 1", "lambda is not allowed"),
        ("[x for x in 'ab']", "comprehensions are not allowed"),
        ("{x for x in 'ab'}", "comprehensions are not allowed"),
        ("{x: 1 for x in 'ab'}", "comprehensions are not allowed"),
        ("max(x for x in (1, 2))", "comprehensions are not allowed"),
        ("min(1, 2)(3)", "only these functions can be called: " + ", ".join(FUNCTIONS)),
        ("-" * 200 + "1", f"the expression is nested too deeply (more than {conditions.MAX_DEPTH} levels)"),
        ("not " * 200 + "1", f"the expression is nested too deeply (more than {conditions.MAX_DEPTH} levels)"),
        ("abs(" * 40 + "1" + ")" * 40, f"the expression is nested too deeply (more than {conditions.MAX_DEPTH} levels)"),
        ("(" * 300 + "1" + ")" * 300, "syntax error: too many nested parentheses"),
        ("1 + " * 400 + "1", f"the expression is too long (1601 characters; at most {conditions.MAX_SOURCE_LENGTH})"),
        ("-" * 900 + "1", f"the expression is nested too deeply (more than {conditions.MAX_DEPTH} levels)"),
    ],
)
def test_hostile_input_is_refused_at_compile_time(source, message):
    assert refused(source).message == message


@pytest.mark.parametrize(
    "source, message",
    [
        ("10 ** 10 ** 10", "10 ** 10000000000 is too large to compute"),
        ("9 ** 9 ** 9 ** 9", "9 ** 387420489 is too large to compute"),
        ("2 ** 4096 * 2", "2 ** 4096 is too large to compute"),
        ("(2 ** 4000) * (2 ** 4000)", "the result of '*' is too large"),
        ("'x' * 10 ** 9", f"'*' would make text longer than {conditions.MAX_STRING_LENGTH} characters"),
        ("'x' * 10000 + 'y'", f"'+' would make text longer than {conditions.MAX_STRING_LENGTH} characters"),
        ("round(1, -10 ** 9)", "round(x, n) needs a whole number n between -100 and 100"),
    ],
)
def test_hostile_input_is_refused_at_run_time(source, message):
    assert refused(source, evaluate=True).message == message


def test_deep_input_from_a_deep_caller_is_refused_not_crashed():
    """Python's parser counts the caller's frames too: near the recursion limit it raises
    RecursionError, which must come out as the same clear refusal (offset 0: the parser
    says nothing about where)."""

    def deep(levels):
        return deep(levels - 1) if levels else refused("-" * 990 + "1")

    frame, depth = sys._getframe(), 0
    while frame:
        frame, depth = frame.f_back, depth + 1
    error = deep(sys.getrecursionlimit() - depth - 150)
    assert (error.message, error.offset) == (
        f"the expression is nested too deeply (more than {conditions.MAX_DEPTH} levels)", 0
    )


@pytest.mark.parametrize("source, message", [("(yield)", "'yield' is not allowed"), ("await x", "'await' is not allowed")])
def test_generator_syntax_is_refused(source, message):
    assert refused(source).message == message


def test_size_limits_leave_real_numbers_alone():
    assert value("2 ** 4095 > 1 and 1 ** 10 ** 100 == 1 and (-1) ** (10 ** 99 + 1) == -1") is True
    assert value("0 ** 10 ** 100 == 0 and len_ok", {"len_ok": True}) is True
    assert len(value("'ab' * 5000")) == conditions.MAX_STRING_LENGTH


def test_the_module_never_calls_eval_exec_or_compile():
    tree = ast.parse(inspect.getsource(conditions))
    called = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    assert not called & {"eval", "exec", "compile", "__import__"}


# --- templates and expressions (variants) --------------------------------------------


def test_template_from_the_authoring_guide():
    template = "$\\frac{{{a}}}{{{d}}} + \\frac{{{b}}}{{{d}}}$ = ? (as a decimal)"
    assert evaluate_template(template, {"a": 1, "b": 2, "d": 5}) == (
        "$\\frac{1}{5} + \\frac{2}{5}$ = ? (as a decimal)"
    )


def test_template_expressions_and_rendering():
    variables = {"a": 1, "b": 2, "d": 8, "name": "Ada"}
    assert evaluate_template("{a + b} / {d} = {(a + b) / d}", variables) == "3 / 8 = 0.375"
    assert evaluate_template("{name}: {max(a, b) * 1.5} {round(a / 3, 2)}", variables) == "Ada: 3 0.33"
    assert evaluate_template("{{literal}} {{{a}}}", variables) == "{literal} {1}"
    assert evaluate_template("no placeholders", {}) == "no placeholders"
    assert evaluate_template("", {}) == ""


@pytest.mark.parametrize(
    "template, message, offset",
    [
        ("x } y", "a single '}' in the template: write '}}' for a literal brace", 2),
        ("x { y", "'{' is never closed: write '{{' for a literal brace", 2),
        ("a={}", "the expression is empty", 3),
        ("total: {a + c}", "unknown name 'c': the variables are a", 12),
        ("{mastery('s')}", "mastery(...) cannot be used here: only min, max, abs, round can", 1),
        ("ok {a / 0}", "division by zero in '/'", 4),
        ("{a.real}", "attribute access ('.real') is not allowed", 1),
    ],
)
def test_template_errors_point_into_the_template(template, message, offset):
    error = pytest.raises(ConditionError, evaluate_template, template, {"a": 1}).value
    assert (error.message, error.offset) == (message, offset)


@pytest.mark.parametrize(
    "rendered, expected",
    [
        (3.0, "3"),
        (0.1 + 0.2, "0.3"),
        (1 / 3, "0.333333333333"),
        (-0.0, "0"),
        (2.5, "2.5"),
        (1e20, "1e+20"),
        (1.5e-7, "1.5e-07"),
        (123456789012.0, "123456789012"),
        (7, "7"),
        (True, "True"),
        ("text", "text"),
        (float("inf"), "inf"),
    ],
)
def test_render_value(rendered, expected):
    assert render_value(rendered) == expected


def test_evaluate_expression_for_numeric_answers():
    assert evaluate_expression("(a + b) / d", {"a": 1, "b": 2, "d": 5}) == pytest.approx(0.6)
    assert evaluate_expression("a ** 2 - abs(b)", {"a": 3, "b": -4}) == 5
    assert refused_expression("attempts('c') + a").message == (
        "attempts(...) cannot be used here: only min, max, abs, round can"
    )
    assert refused_expression("a / (b - b)").message == "division by zero in '/'"


def refused_expression(source):
    return pytest.raises(ConditionError, evaluate_expression, source, {"a": 1, "b": 2}).value


# --- branch rules --------------------------------------------------------------------

RULES = (
    Rule(goto="egyptian", condition="mastered('add-unlike') and mastery('add-unlike') > 0.9"),
    Rule(goto="remedy", condition="needs_remediation('add-unlike') or attempts('hpq') >= 3"),
    Rule(goto="more"),
)


def test_first_matching_rule_takes_the_first_that_holds():
    assert first_matching_rule(RULES, Student()) == (1, RULES[1])
    assert first_matching_rule(RULES, Student(mastery=0.95)) == (0, RULES[0])
    assert first_matching_rule(RULES, Student(mastered=False, attempts=1)) == (2, RULES[2])


def test_first_matching_rule_without_a_default():
    assert first_matching_rule(RULES[:2], Student(mastered=False, attempts=0)) is None


def test_first_matching_rule_with_variables():
    rules = (Rule(goto="big", condition="n > 3"), Rule(goto="small"))
    assert first_matching_rule(rules, Student(), {"n": 5}) == (0, rules[0])
    assert first_matching_rule(rules, Student(), {"n": 1}) == (1, rules[1])


def test_a_broken_rule_raises_unless_on_error_is_given():
    rules = (Rule(goto="a", condition="score('c') / attempts('c') > 0.5"), Rule(goto="b", condition="mastry('x')"), Rule(goto="c"))
    student = Student(attempts=0)
    with pytest.raises(ConditionError, match="division by zero"):
        first_matching_rule(rules, student)
    reported = []
    assert first_matching_rule(rules, student, on_error=lambda i, r, e: reported.append((i, e.message))) == (2, rules[2])
    assert reported == [(0, "division by zero in '/'"), (1, "unknown function 'mastry' (did you mean 'mastery'?)")]
