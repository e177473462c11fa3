"""A page's widgets are built unannounced (lessonkit.player.pagestart.unannounced), in a real ipykernel:
while the page's cell builds them no widget message leaves the kernel, yet the browser's one
``request_states`` gets every widget's state, its messages reach the widgets, and widgets made after
the build are announced as usual, and so are later changes to those built unannounced."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

BUILD = """
import ipywidgets as widgets
from IPython.display import display
from lessonkit.player.pagestart import unannounced
with unannounced():
    check = widgets.Button(description="Check")
    check.on_click(lambda button: print("clicked", button.description))
    prompt = widgets.HTML("first")
    box = widgets.VBox([prompt, check])
    prompt.value = "changed while unannounced"
    gone = widgets.Label("made and closed unseen")
    gone.close()
display(box)
print("ids", box.model_id, prompt.model_id, check.model_id)
"""


@pytest.fixture()
def kernel(tmp_path):
    from jupyter_client.manager import start_new_kernel

    manager, client = start_new_kernel(kernel_name="python3", cwd=str(tmp_path))
    try:
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def _send(client: Any, msg_type: str, content: dict[str, Any]) -> str:
    message = client.session.msg(msg_type, content, metadata={"version": "1.0.0"})  # the control protocol's
    client.shell_channel.send(message)
    return message["header"]["msg_id"]


def _published(client: Any, msg_id: str, until: str = "idle") -> list[dict[str, Any]]:
    """What the kernel published in answer to ``msg_id``, up to its idle status."""
    found = []
    while True:
        message = client.get_iopub_msg(timeout=120)
        if message["parent_header"].get("msg_id") != msg_id:
            continue
        if message["msg_type"] == "error":
            raise AssertionError("\n".join(message["content"]["traceback"]))
        if message["msg_type"] == "status" and message["content"]["execution_state"] == until:
            return found
        found.append(message)


def _run(client: Any, code: str) -> list[dict[str, Any]]:
    return _published(client, _send(client, "execute_request", {
        "code": code, "silent": False, "store_history": False, "user_expressions": {}, "allow_stdin": False,
        "stop_on_error": True}))


def _printed(messages: list[dict[str, Any]]) -> str:
    return "".join(m["content"]["text"] for m in messages if m["msg_type"] == "stream")


def test_a_page_built_unannounced_publishes_no_widget_message_and_the_browser_still_gets_every_widget(kernel):
    built = _run(kernel, BUILD)
    kinds = [message["msg_type"] for message in built]
    assert not {"comm_open", "comm_msg", "comm_close"} & set(kinds), kinds
    shown = next(m for m in built if m["msg_type"] == "display_data")["content"]["data"]
    box_id, prompt_id, check_id = _printed(built).split("ids ")[1].split()
    assert shown["application/vnd.jupyter.widget-view+json"]["model_id"] == box_id

    # after the build, widgets are announced again, and a change to one built unannounced goes out
    later = _run(kernel, 'later = widgets.Button(description="Later")\nprompt.value = "changed after"')
    opened = [m["content"] for m in later if m["msg_type"] == "comm_open"]
    assert [content["data"]["state"].get("description") for content in opened
            if content["data"]["state"]["_model_name"] == "ButtonModel"] == ["Later"]
    updates = [m["content"] for m in later if m["msg_type"] == "comm_msg"]
    assert [(u["comm_id"], u["data"]["state"]) for u in updates] == [(prompt_id, {"value": "changed after"})]

    # the browser's way in: the widget control comm and one request for every state
    control = uuid.uuid4().hex
    _published(kernel, _send(kernel, "comm_open", {"comm_id": control, "target_name": "jupyter.widget.control",
                                                   "data": {}}))
    answer = _published(kernel, _send(kernel, "comm_msg", {"comm_id": control, "data": {"method": "request_states"}}))
    states = next(m for m in answer if m["msg_type"] == "comm_msg")["content"]["data"]["states"]
    assert {box_id, prompt_id, check_id} <= set(states)
    assert states[prompt_id]["state"]["value"] == "changed after"
    assert states[check_id]["state"]["description"] == "Check"
    assert states[box_id]["state"]["children"] == [f"IPY_MODEL_{prompt_id}", f"IPY_MODEL_{check_id}"]
    assert "made and closed unseen" not in str(states)
    assert "Later" in str(states)

    # a click from the browser reaches the widget built unannounced
    clicked = _published(kernel, _send(kernel, "comm_msg", {"comm_id": check_id,
                                                            "data": {"method": "custom",
                                                                     "content": {"event": "click"}}}))
    assert "clicked Check" in _printed(clicked)
