"""The template assets handler: the template's files, and 404 (never 500) for a malformed path.

The real handler in a real tornado server on a socket; the full class server's routing of
``/voila/templates/`` to it is checked in tests/test_serve.py's running server.
"""

from __future__ import annotations

import pytest
from tornado import web
from tornado.testing import AsyncHTTPTestCase

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


class TemplateAssets(AsyncHTTPTestCase):
    def get_app(self) -> web.Application:
        return web.Application([(r"/voila/templates/(.*)", TemplateAssetsHandler)])

    def setUp(self) -> None:
        self._monkey = pytest.MonkeyPatch()
        self._monkey.setenv("JUPYTER_PATH", str(source_template_root()))  # the checkout's own template
        super().setUp()

    def tearDown(self) -> None:
        super().tearDown()
        self._monkey.undo()

    def test_the_templates_own_file_is_served(self) -> None:
        response = self.fetch("/voila/templates/lessonkit/static/lessonkit.css")
        assert response.code == 200 and b"{" in response.body

    def test_a_malformed_path_is_not_found(self) -> None:
        for path in MALFORMED:
            response = self.fetch(f"/voila/templates/{path}")
            assert response.code == 404, (path, response.code)
