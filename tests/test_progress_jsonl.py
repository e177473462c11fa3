"""The JSON-lines log: torn lines, repair, corruption, several writers."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lessonkit.progress import ANSWERED, CorruptLogError, Event, JsonlLog, TornLine

REPO = Path(__file__).resolve().parents[1]


def event(n: int, student: str = "ada") -> Event:
    return Event("fractions", student, ANSWERED, ts=float(n), check_id="half", data={"answer": n})


def test_each_event_is_one_line_and_seq_is_its_line_number(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    with JsonlLog(path) as log:
        acked = [log.append(event(n)) for n in range(3)]
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [Event.from_json(line).uid for line in lines] == [e.uid for e in acked]
    assert [e.seq for e in acked] == [1, 2, 3]
    assert "seq" not in lines[0]  # the position is the seq; the file does not repeat it
    with JsonlLog(path) as reopened:  # a new writer continues the numbering
        assert reopened.append(event(3)).seq == 4


def test_a_torn_last_line_is_skipped_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    with JsonlLog(path) as log:
        kept = log.append_many([event(1), event(2)])
    whole = event(3).to_json()
    with open(path, "a", encoding="utf-8") as file:
        file.write(whole[: len(whole) // 2])  # the write a crash interrupted
    contents = JsonlLog(path).read()
    assert contents.events == kept
    assert isinstance(contents.torn, TornLine) and contents.torn.line == 3
    assert "interrupted" in str(contents.torn)


def test_an_unparseable_last_line_with_its_newline_is_torn_too(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    with JsonlLog(path) as log:
        log.append(event(1))
    with open(path, "ab") as file:
        file.write(b"\x00\x00\x00\n\n")  # zeros a power cut left in the last block
    contents = JsonlLog(path).read()
    assert len(contents.events) == 1 and contents.torn is not None and contents.torn.line == 2


def test_the_next_append_cuts_off_a_torn_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "events.jsonl"
    with JsonlLog(path) as log:
        log.append(event(1))
    with open(path, "a", encoding="utf-8") as file:
        file.write('{"uid": "half-writ')
    with caplog.at_level(logging.WARNING), JsonlLog(path) as log:
        assert log.append(event(2)).seq == 2
    assert "torn last line" in caplog.text
    contents = JsonlLog(path).read()
    assert contents.torn is None and [e.data["answer"] for e in contents.events] == [1, 2]


def test_a_bad_line_in_the_middle_is_corruption_not_a_torn_line(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text(event(1).to_json() + "\nnot json\n" + event(2).to_json() + "\n", encoding="utf-8")
    with pytest.raises(CorruptLogError, match="line 2"):
        JsonlLog(path).read()
    path.write_text(event(1).to_json() + '\n{"type": "answered"}\n' + event(2).to_json() + "\n", encoding="utf-8")
    with pytest.raises(CorruptLogError, match="line 2.*'lesson_id' is missing"):
        JsonlLog(path).read()


def test_a_missing_log_is_empty(tmp_path: Path) -> None:
    log = JsonlLog(tmp_path / "never-written.jsonl")
    assert log.read().events == [] and log.history("fractions", "ada") == [] and log.students("fractions") == []


def test_two_kernels_writing_one_log_keep_whole_lines_and_distinct_seqs(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    code = (
        "import sys\nfrom lessonkit.progress import ANSWERED, Event, JsonlLog\n"
        "log = JsonlLog(sys.argv[1])\n"
        "for n in range(200):\n"
        "    e = log.append(Event('fractions', sys.argv[2], ANSWERED, check_id='c', data={'answer': n}))\n"
        "    print(e.seq, e.uid)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    writers = [
        subprocess.Popen([sys.executable, "-c", code, str(path), who], stdout=subprocess.PIPE, text=True, env=env)
        for who in ("ada", "bob", "cy")
    ]
    acked: dict[str, int] = {}
    for writer in writers:
        out, _ = writer.communicate(timeout=120)
        assert writer.returncode == 0
        acked.update((uid, int(seq)) for seq, uid in (line.split() for line in out.splitlines()))
    contents = JsonlLog(path).read()
    assert contents.torn is None and len(contents.events) == 600
    assert {e.uid: e.seq for e in contents.events} == acked  # every writer's seq is the event's line
    assert JsonlLog(path).students("fractions") == ["ada", "bob", "cy"]
    assert [e.data["answer"] for e in JsonlLog(path).history("fractions", "bob")] == list(range(200))


def test_a_bad_event_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    with JsonlLog(path) as log:
        log.append(event(1))
        with pytest.raises(ValueError, match="not JSON-serialisable"):
            log.append_many([event(2), Event("fractions", "ada", ANSWERED, data={"answer": object()})])
        assert log.append(event(3)).seq == 2
    assert [e.data["answer"] for e in JsonlLog(path).read().events] == [1, 3]
