"""The runtime API the built notebooks call (lkp.start_notebook, lkp.show_check,
lkp.show_next_step, lkp.start_page), its friendly refusals, and who the student is taken to be."""

from __future__ import annotations

import pytest
from test_player_lesson import build

import lessonkit.player as lkp
from lessonkit.player.identity import HEADER_ENV, notebook_identity, page_identity


@pytest.fixture
def shown(monkeypatch):
    """What the API displays, instead of a front end."""
    out: list = []
    monkeypatch.setattr(lkp, "_display", out.append)
    monkeypatch.setattr(lkp, "_session", None)
    return out


def markdown(obj) -> str:
    return obj._repr_markdown_() if hasattr(obj, "_repr_markdown_") else obj._repr_mimebundle_()["text/markdown"]


def test_checks_before_the_header_cell_say_what_to_do(shown):
    lkp.show_check("which-equal")
    lkp.show_next_step("practice")
    assert all("run the first cell" in markdown(o) for o in shown) and len(shown) == 2


def test_a_damaged_blob_or_an_unknown_id_is_a_message_not_a_traceback(shown, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    lkp.start_notebook("not a lesson")
    assert "damaged" in markdown(shown[-1])
    lkp.start_notebook(build(tmp_path).blob)
    assert type(shown[-1]).__name__ == "LessonHeader"
    lkp.show_check("no-such-check")
    assert "no check 'no-such-check'" in markdown(shown[-1])
    lkp.show_next_step("no-such-step")
    assert "no step 'no-such-step'" in markdown(shown[-1])


def test_running_the_header_again_keeps_the_session(shown, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    blob = build(tmp_path).blob
    lkp.start_notebook(blob)
    first = lkp.current_session()
    lkp.show_check("which-equal")
    lkp.start_notebook(blob)
    assert lkp.current_session() is first and type(shown[-2]).__name__ == "CheckView"


def test_a_page_opens_the_configured_store(shown, tmp_path, monkeypatch):
    monkeypatch.setenv("LESSONKIT_DB", str(tmp_path / "class.sqlite"))
    monkeypatch.setenv(HEADER_ENV, "ana")
    lkp.start_page(build(tmp_path).blob)
    session = lkp.current_session()
    assert type(shown[-1]).__name__ == "PageView" and session.mode == "page"
    assert session.identity.student_id == "ana" and session.current_step == "intro"
    assert (tmp_path / "class.sqlite").exists()


def test_notebook_identity_is_the_hub_user_else_the_os_user(monkeypatch):
    monkeypatch.setenv("JUPYTERHUB_USER", "hub-ana")
    assert (notebook_identity().student_id, notebook_identity().source) == ("hub-ana", "jupyterhub")
    monkeypatch.delenv("JUPYTERHUB_USER")
    assert notebook_identity().source == "os-user" and notebook_identity().student_id


def test_page_identity_trusts_the_hub_then_the_header_and_the_query_only_when_allowed(monkeypatch):
    for name in ("JUPYTERHUB_USER", HEADER_ENV, "LESSONKIT_TRUST_QUERY", "VOILA_PREHEAT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("QUERY_STRING", "student=mallory&x=1")
    anonymous = page_identity()
    assert anonymous.source == "anonymous" and not anonymous.resumable
    assert anonymous.student_id != page_identity().student_id  # nobody shares an anonymous id
    monkeypatch.setenv("LESSONKIT_TRUST_QUERY", "1")
    assert (page_identity().student_id, page_identity().source) == ("mallory", "query")
    monkeypatch.setenv(HEADER_ENV, "ana")
    assert (page_identity().student_id, page_identity().source) == ("ana", "header")
    monkeypatch.setenv("JUPYTERHUB_USER", "hub-ana")
    assert page_identity().source == "jupyterhub"
    monkeypatch.setenv("JUPYTERHUB_USER", "bad\nname")  # control characters are not an id
    assert page_identity().source == "header"
