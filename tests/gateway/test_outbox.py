"""The outbox: seq assigned in commit order, kept across restarts, rows leave only when acked."""

from __future__ import annotations

import threading
from uuid import uuid4

import contracts as c
from gateway.outbox import Outbox


def test_seq_is_contiguous_and_survives_restart(tmp_path) -> None:
    path = tmp_path / "outbox.sqlite"
    box = Outbox(path, "main", "gw1")
    events = box.append([("pad-1", c.TagRead(uid="AA")), ("pad-1", c.TagRead(uid="BB"))])
    assert [e.seq for e in events] == [1, 2]
    box.delete([1, 2])
    box.close()
    box = Outbox(path, "main", "gw1")
    assert box.append([("pad-1", c.TagRead(uid="CC"))])[0].seq == 3  # never reused
    rows = box.after(0, 10)
    assert [(seq, topic) for seq, topic, _ in rows] == [(3, "smartlib/v1/main/gw1/events/tag_read")]
    assert c.parse_event(rows[0][2]).data.uid == "CC"
    box.close()


def test_concurrent_appends_never_share_a_seq(tmp_path) -> None:
    box = Outbox(tmp_path / "outbox.sqlite", "main", "gw1")

    def writer(device: str) -> None:
        for _ in range(200):
            box.append([(device, c.TagRead(uid="AA"))])

    threads = [threading.Thread(target=writer, args=(f"pad-{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seqs = [seq for seq, _, _ in box.after(0, 10_000)]
    assert seqs == list(range(1, 801))
    box.close()


def test_a_handled_command_is_remembered_with_its_answer(tmp_path) -> None:
    path = tmp_path / "outbox.sqlite"
    box = Outbox(path, "main", "gw1")
    command_id = uuid4()
    assert box.handled(command_id) is None
    box.append_command_result(
        "pad-1",
        command_id,
        False,
        "busy",
        c.CommandAck(command_id=command_id, ok=False, reason="busy"),
    )
    box.close()
    box = Outbox(path, "main", "gw1")
    assert box.handled(command_id) == (False, "busy")
    assert box.pending() == 1
    box.close()
