"""The Voila application ``lessonkit serve`` runs: Voila with lessonkit's sign-in in front.

A subclass rather than Voila's own token login: a class needs one account per student
(the account is the progress store's student id), and Voila's tree of the build folder
would list the student notebooks too.  Run as ``python -m lessonkit.serve.app ROOT ...``
by :func:`lessonkit.serve.serve`.
"""

from __future__ import annotations

import json
from typing import Any

from traitlets import Unicode, default
from traitlets import List as ListTrait
from voila.app import Voila
from voila.tornado.contentshandler import VoilaContentsHandler
from voila.tornado.treehandler import TornadoVoilaTreeHandler

from lessonkit.serve import auth, dashboard
from lessonkit.serve.roster import Roster


class LessonkitVoila(Voila):
    name = "lessonkit-voila"

    roster = Unicode("", config=True, help="the roster file students sign in with ('' : no sign-in)")
    trusted_proxies = ListTrait(Unicode(), config=True, help="addresses whose identity header is believed")
    identity_header = Unicode(config=True, help="the header that names the student, for the kernel")
    open_user = Unicode("", config=True, help="who every request is when nothing else says (loopback only)")
    lessons = Unicode("{}", config=True, help="the built pages, as JSON: {path under the root: title}")

    @default("identity_provider_class")
    def _identity(self) -> type:
        return auth.LessonkitIdentity

    @default("cookie_secret")
    def _secret(self) -> bytes:
        # kept in a file when there is a roster, so that a restart does not sign the class out
        return Roster(self.roster).cookie_secret() if self.roster else super()._default_cookie_secret()

    def initialize(self, argv: Any = None) -> None:
        super().initialize(argv)
        self.voila_configuration.prelaunch_hook = auth.prelaunch_hook
        self.voila_configuration.http_header_envs = [self.identity_header]

    def init_settings(self) -> dict:
        settings = super().init_settings()
        settings["login_url"] = auth.LOGIN_URL
        settings["lessonkit_pages"] = json.loads(self.lessons)
        return settings

    def init_handlers(self) -> list:
        # the tree and the contents API would list the student notebooks beside the pages
        hidden = (TornadoVoilaTreeHandler, VoilaContentsHandler)
        handlers = [handler for handler in super().init_handlers() if handler[1] not in hidden]
        ours = self.identity_provider.get_handlers() + dashboard.handlers()
        # tornado takes the first match: lessonkit's "/" before anything of Voila's
        return ours + [handler for handler in handlers if handler not in ours]


main = LessonkitVoila.launch_instance

if __name__ == "__main__":
    main()
