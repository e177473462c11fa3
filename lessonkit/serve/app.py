"""The Voila application ``lessonkit serve`` runs: Voila with lessonkit's sign-in in front.

A subclass rather than Voila's own token login: a class needs one account per student
(the account is the progress store's student id), and Voila's tree of the build folder
would list the student notebooks too.  Every kernel-addressed handler of Voila's is
swapped for one that serves only the kernel's owner (:mod:`lessonkit.serve.kernels`).
With ``warm_kernels`` each page keeps that many kernels started and run up to the point
where the page asks who its student is (:func:`lessonkit.player.identity.wait_for_request`),
so a student waits for their own part of the page only.  The pools are filled by
:class:`lessonkit.serve.pool.PoolKeeper`, not by Voila: one kernel per core at a time, only while no page
is being served (a kernel starting costs seconds of CPU, and refills started while thirty
students arrive take that CPU from them), and a pooled kernel that died is replaced.
Run as ``python -m lessonkit.serve.app ROOT ...`` by :func:`lessonkit.serve.serve`.
"""

from __future__ import annotations

import json
from typing import Any

from tornado.ioloop import IOLoop
from traitlets import Float, Int, Unicode, default
from traitlets import List as ListTrait
from voila.app import Voila
from voila.static_file_handler import TemplateStaticFileHandler
from voila.tornado.contentshandler import VoilaContentsHandler
from voila.tornado.treehandler import TornadoVoilaTreeHandler

from lessonkit.serve import auth, dashboard, home, kernels, pool, portfolio
from lessonkit.serve.statics import TemplateAssetsHandler
from lessonkit.serve.roster import Roster

#: lessonkit's own pages, each module's ``handlers()`` (the teacher dashboard registers here too)
PAGES = (home, dashboard, portfolio)
#: Voila's handlers swapped for lessonkit's: owner-only kernels, a 404 for malformed asset paths
REPLACEMENTS = {**kernels.REPLACEMENTS, TemplateStaticFileHandler: TemplateAssetsHandler}


class LessonkitVoila(Voila):
    name = "lessonkit-voila"

    roster = Unicode("", config=True, help="the roster file students sign in with ('' : no sign-in)")
    trusted_proxies = ListTrait(Unicode(), config=True, help="addresses whose identity header is believed")
    identity_header = Unicode(config=True, help="the header that names the student, for the kernel")
    open_user = Unicode("", config=True, help="who every request is when nothing else says (loopback only)")
    lessons = Unicode("{}", config=True, help="the built pages, as JSON: {path under the root: catalog entry}")
    warm_kernels = Int(0, config=True, help="kernels kept started per page, ahead of the students (0: none)")
    page_deadline = Float(kernels.PAGE_DEADLINE_S, config=True,
                          help="seconds a page may take to run before its kernel is given up and the page retries")

    @default("identity_provider_class")
    def _identity(self) -> type:
        return auth.LessonkitIdentity

    @default("cookie_secret")
    def _secret(self) -> bytes:
        # kept in a file when there is a roster, so that a restart does not sign the class out
        return Roster(self.roster).cookie_secret() if self.roster else super()._default_cookie_secret()

    def initialize(self, argv: Any = None) -> None:
        super().initialize(argv)
        self.voila_configuration.http_header_envs = [self.identity_header]
        self.voila_configuration.preheat_kernel = self.warm_kernels > 0
        self.voila_configuration.multi_kernel_manager_class = kernels.LeanKernelManager

    def init_settings(self) -> dict:
        pages = json.loads(self.lessons)
        # a pool for each built page only, none for the student notebooks beside them; a pooled
        # kernel calls back to this server for its request, by the address it listens on
        callback = self.ip if self.ip not in ("", "0.0.0.0", "::") else "127.0.0.1"
        # size 0: Voila fills nothing itself, the PoolKeeper starts each pooled kernel (lessonkit.serve.pool)
        self.config.VoilaKernelManager.kernel_pools_config = {
            "default": {"pool_size": 0},
            **{page: {"pool_size": 0, "kernel_env_variables": {"VOILA_APP_IP": callback}} for page in pages}}
        settings = super().init_settings()
        settings["login_url"] = auth.LOGIN_URL
        settings["lessonkit_pages"] = pages
        settings[kernels.OWNERS] = kernels.KernelOwners()
        settings[kernels.DEADLINE] = self.page_deadline
        settings[kernels.ACTIVITY] = activity = pool.Activity()
        if self.warm_kernels > 0:
            settings[kernels.KEEPER] = keeper = pool.PoolKeeper(
                self.kernel_manager, dict.fromkeys(pages, self.warm_kernels), activity, self.log)
            IOLoop.current().add_callback(keeper.run)  # runs once Voila's start() starts the loop
        return settings

    def init_handlers(self) -> list:
        # the tree and the contents API would list the student notebooks beside the pages
        hidden = (TornadoVoilaTreeHandler, VoilaContentsHandler)
        handlers = [(pattern, REPLACEMENTS.get(handler, handler), *rest)
                    for pattern, handler, *rest in super().init_handlers() if handler not in hidden]
        ours = self.identity_provider.get_handlers() + [route for module in PAGES for route in module.handlers()]
        # tornado takes the first match: lessonkit's "/" before anything of Voila's
        return ours + [handler for handler in handlers if handler[1] not in dict(ours).values()]


main = LessonkitVoila.launch_instance

if __name__ == "__main__":
    main()
