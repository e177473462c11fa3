"""The same grading on a Dask cluster (``cluster="tcp://..."``): each submission a task, same scores."""

from __future__ import annotations

import shutil

import distributed  # the test extra installs it: a missing Dask is a failure, not a skip
import pytest
from grade_fixtures.courses import PS1, course, open_dir

from lessonkit.grade import grade_assignment

pytestmark = pytest.mark.slow


def test_local_cluster_gives_the_same_scores(ps1_graded):
    here, _, _ = ps1_graded  # the same course graded on this machine's kernels
    root = open_dir()
    try:
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", processes=True,
                                      dashboard_address=None) as cluster:
            there = grade_assignment("ps1", course_dir=course(PS1, "ps1", root / "there"),
                                     cluster=cluster.scheduler_address, progress=False, feedback=False)
            assert f"Dask at {cluster.scheduler_address} (2 worker(s), 2 thread(s))" in there.where
            with distributed.Client(cluster) as client:  # the workers' kernel pools went with the run
                assert all(not any(name.startswith("lessonkit-grade") for name in plugins)
                           for plugins in client.run(lambda dask_worker: list(dask_worker.plugins)).values())
    finally:
        shutil.rmtree(root)
    assert there.scores() == here.scores() == {"bitdiddle": 1.5, "hacker": 3.0}
    assert there.cell_scores() == here.cell_scores()
