"""kill -9 at random moments: everything the store acknowledged is there after a restart.

A writer process records progress, ledger marks, bindings and meta values (with notes from empty
to tens of kilobytes, so kills land inside writes too) and occasionally compacts the file. After
each write returns it prints what it wrote. The test kills it with SIGKILL after a random number
of acknowledgements, reopens the file, and checks every acknowledged write. The next round writes
on top of the recovered file, so recovery is exercised again and again on one growing database.

The kill points come from a fixed seed, so every run of the suite exercises the same rounds. Set
STORE_CRASH_SEED to another number to try other kill points, or to "random" for a fresh seed each
run; the seed is in every failure message, so setting it to that number replays a failing run.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from bot.store import Store

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = 12
DEFAULT_SEED = 20230504

WRITER = r"""
import json, random, sys
from datetime import date, datetime, timedelta
from pathlib import Path
from bot.clock import TZ
from bot.store import Store

path, seed = Path(sys.argv[1]), int(sys.argv[2])
rng = random.Random(seed)
store = Store.open(path)
print(json.dumps({"ready": store.progress_count()}), flush=True)
start = datetime(2023, 5, 4, 9, 0, tzinfo=TZ)
step = 0
while True:
    step += 1
    kind = rng.choices(["progress", "meta", "sent", "bind", "compact"], [70, 10, 10, 8, 2])[0]
    if kind == "progress":
        size = rng.choice([0, 10, 300, 3000, 20000])
        entry = store.record_progress(
            f"m{rng.randrange(12)}", f"u{rng.randrange(5)}", rng.choice(["进行中", "已完成", "受阻"]),
            start + timedelta(minutes=seed * 1000 + step), note="进" * size, percent=rng.randrange(101),
        )
        ack = {"progress": [entry.seq, entry.measure, entry.unit, size]}
    elif kind == "meta":
        store.set_meta("counter", f"{seed}:{step}")
        ack = {"meta": f"{seed}:{step}"}
    elif kind == "sent":
        day = date(2023, 5, 4) + timedelta(days=rng.randrange(30))
        chat, recipient = -rng.randrange(1, 50), f"unit:u{rng.randrange(5)}"
        store.mark_sent(day, chat, recipient, start, message_ids=[step])
        ack = {"sent": [day.isoformat(), chat, recipient]}
    elif kind == "bind":
        chat, unit = -rng.randrange(1, 50), f"u{rng.randrange(5)}"
        store.bind_units(chat, [unit])
        ack = {"bind": [chat, unit]}
    else:
        store.compact()
        ack = {"compact": step}
    print(json.dumps(ack), flush=True)
"""


@dataclass
class Acknowledged:
    progress: dict[int, tuple[str, str, int]] = field(default_factory=dict)
    sent: set[tuple[str, int, str]] = field(default_factory=set)
    bound: set[tuple[int, str]] = field(default_factory=set)
    meta: str | None = None

    def take(self, ack: dict[str, Any]) -> None:
        if "progress" in ack:
            seq, measure, unit, size = ack["progress"]
            self.progress[seq] = (measure, unit, size)
        elif "sent" in ack:
            day, chat, recipient = ack["sent"]
            self.sent.add((day, chat, recipient))
        elif "bind" in ack:
            chat, unit = ack["bind"]
            self.bound.add((chat, unit))
        elif "meta" in ack:
            self.meta = ack["meta"]


def run_and_kill(path: Path, seed: int, acks_before_kill: int, acked: Acknowledged) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), str(seed)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as writer:
        assert writer.stdout is not None and writer.stderr is not None
        try:
            ready = writer.stdout.readline()
            assert ready.startswith('{"ready"'), f"writer failed to open the store: {writer.stderr.read()}"
            for _ in range(acks_before_kill):
                line = writer.stdout.readline()
                assert line, f"writer died: {writer.stderr.read()}"
                acked.take(json.loads(line))
            writer.send_signal(signal.SIGKILL)
            # Lines printed after their write returned are acknowledged too, whether still in the
            # pipe or already read ahead into stdout's buffer by readline(): read them through the
            # same buffered file, up to the end the kill puts on the pipe.
            rest = writer.stdout.read()
        finally:
            if writer.poll() is None:
                writer.kill()
        writer.wait(timeout=30)
    # A print cut short by the kill is not an acknowledgement; the write it reports may be on disk.
    complete, _, _ = rest.rpartition("\n")
    for line in complete.splitlines():
        acked.take(json.loads(line))
    assert writer.returncode == -signal.SIGKILL


def check(path: Path, acked: Acknowledged, rounds: int, context: str) -> None:
    with Store.open(path) as store:
        measures = {measure for measure, _, _ in acked.progress.values()}
        stored = {entry.seq: entry for measure in measures for entry in store.history(measure)}
        missing = sorted(set(acked.progress) - set(stored))
        assert not missing, f"{context}: acknowledged reports lost: {missing[:10]}"
        for seq, (measure, unit, size) in acked.progress.items():
            entry = stored[seq]
            assert (entry.measure, entry.unit, len(entry.note)) == (measure, unit, size), context
        # At most one write per round can be on disk without its acknowledgement having been read.
        assert len(acked.progress) <= store.progress_count() <= len(acked.progress) + rounds, context
        for day, chat, recipient in acked.sent:
            assert store.was_sent(date.fromisoformat(day), chat, recipient), f"{context}: lost mark {day}"
        for chat, unit in acked.bound:
            assert unit in store.binding(chat).units, f"{context}: lost binding {chat} {unit}"  # type: ignore[union-attr]
        if acked.meta is not None:
            meta = store.get_meta("counter")
            assert meta is not None, context
            acked_round, acked_step = map(int, acked.meta.split(":"))
            stored_round, stored_step = map(int, meta.split(":"))
            assert (stored_round, stored_step) >= (acked_round, acked_step), f"{context}: meta went back"


def crash_seed() -> int:
    chosen = os.environ.get("STORE_CRASH_SEED", "").strip()
    if not chosen:
        return DEFAULT_SEED
    if chosen == "random":
        return random.SystemRandom().randrange(1 << 30)
    return int(chosen)


def test_acknowledged_writes_survive_sigkill_at_random_moments(tmp_path: Path) -> None:
    seed = crash_seed()
    rng = random.Random(seed)
    path = tmp_path / "bot.db"
    acked = Acknowledged()
    for round_number in range(1, ROUNDS + 1):
        run_and_kill(path, round_number, rng.randrange(1, 60), acked)
        check(path, acked, round_number, f"STORE_CRASH_SEED={seed} round {round_number}")
    assert len(acked.progress) > ROUNDS
