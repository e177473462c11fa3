"""The template assets handler: the template's files, and 404 (never 500) for a malformed path.

The real handler in a real tornado server on a socket (its own thread and event loop); the
class server's routing of ``/voila/templates/`` to it is checked by tests/test_serve_roles.py.
"""

from __future__ import annotations

import asyncio
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from system import free_port
from tornado import web

from lessonkit.player.pagetemplate import source_template_root
from lessonkit.serve.statics import TemplateAssetsHandler

MALFORMED = [
    "lessonkit/static/../conf.json",
    "lessonkit/static/..%2fconf.json",
    "lessonkit/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "..%2f..%2f..%2fetc/passwd",
    "lessonkit/static/..%5c..%5cconf.json",
    "lessonkit",
    "lessonkit/other/lessonkit.css",
]


@pytest.fixture(scope="module")
def assets_url() -> Iterator[str]:
    monkey = pytest.MonkeyPatch()
    monkey.setenv("JUPYTER_PATH", str(source_template_root()))  # the checkout's own template
    port, ready, loop = free_port(), threading.Event(), asyncio.new_event_loop()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        web.Application([(r"/voila/templates/(.*)", TemplateAssetsHandler)]).listen(port, "127.0.0.1")
        loop.call_soon(ready.set)
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    ready.wait(30)
    yield f"http://127.0.0.1:{port}/voila/templates/"
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    monkey.undo()


def _status(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


def test_the_templates_own_file_is_served(assets_url: str) -> None:
    status, body = _status(assets_url + "lessonkit/static/lessonkit.css")
    assert status == 200 and b"{" in body


@pytest.mark.parametrize("path", MALFORMED)
def test_a_malformed_path_is_not_found(assets_url: str, path: str) -> None:
    assert _status(assets_url + path)[0] == 404
