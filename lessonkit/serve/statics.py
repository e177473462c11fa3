"""Voila's template assets, ``/voila/templates/<template>/static/<path>``, with a 404 for any other shape.

Voila's own handler splits the path into template, ``static`` and the rest with tuple
unpacking and an ``assert``: a path that normalises to fewer parts (``static/../conf.json``,
``%2e%2e`` sequences a scanner sends) raises inside the handler and the server answers 500 with
a traceback in its log.  Nothing leaks (the file is still looked up only under the template's
static folders), but a class server should answer a malformed address as what it is: not found.
"""

from __future__ import annotations

import posixpath

from tornado import web
from voila.static_file_handler import TemplateStaticFileHandler


class TemplateAssetsHandler(TemplateStaticFileHandler):
    """Voila's template static handler, refusing what it would crash on before it looks."""

    def parse_url_path(self, url_path: str) -> str:
        parts = posixpath.normpath(url_path).split("/", 2)
        if "\\" in url_path or len(parts) < 3 or parts[1] != "static" or parts[0] in ("", ".", ".."):
            raise web.HTTPError(404)
        return super().parse_url_path(url_path)
