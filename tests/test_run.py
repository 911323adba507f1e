"""``python -m bot run`` with a token: long polling over HTTP (here: the local Bot API stand-in), then a
clean stop on SIGTERM that releases the database."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from bot.sandbox.botapi import BotApiServer
from bot.store import Store

ROOT = Path(__file__).resolve().parent.parent


async def test_run_polls_answers_and_stops_cleanly_on_sigterm(fake_api: BotApiServer, tmp_path: Path) -> None:
    db = tmp_path / "state" / "bot.db"
    (tmp_path / "elsewhere").mkdir()
    plan = json.loads((ROOT / "data" / "plan.json").read_text(encoding="utf-8"))
    for measure in plan["measures"]:
        if measure["id"] == "2-63-1":
            measure["task"] = "试运行用的噪声治理"
    trial_plan = tmp_path / "plan.json"  # --plan wins over PLAN_PATH
    trial_plan.write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": fake_api.token,
        "TELEGRAM_API_BASE_URL": f"http://{fake_api.host}:{fake_api.port}",
        "BOT_ADMIN_IDS": "77",
        "BOT_DB_PATH": str(tmp_path / "elsewhere" / "bot.db"),  # --db wins
        "BOT_WEBHOOK_URL": "",
        "BOT_TODAY": "",
        "BOT_PLAN_PATH": str(tmp_path / "elsewhere" / "plan.json"),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        "--date",
        "2023-06-27",
        "--db",
        str(db),
        "--plan",
        str(trial_plan),
        "--units",
        str(ROOT / "data" / "units.json"),
        cwd=ROOT,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        admin = fake_api.user(77, "管理员")
        group = fake_api.group(-900, "区水务局工作群")
        await fake_api.user_sends(group, admin, "/bind 区水务局")
        [answer] = await fake_api.wait_bot_message(group, timeout=30)
        assert "已绑定：区水务局" in answer["text"]
        assert {c["command"] for c in fake_api.commands()} >= {"help", "report", "overdue"}
        await fake_api.user_sends(group, admin, "/status 2-63-1")
        status = (await fake_api.wait_bot_message(group, count=2, timeout=30))[1]
        assert "2-63-1 试运行用的噪声治理" in status["text"]
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, stderr.decode()
    assert fake_api.token not in stderr.decode()
    assert list((tmp_path / "elsewhere").iterdir()) == []
    # The database was closed: it opens again, with the binding in it.
    store = Store.open(db)
    try:
        binding = store.binding(group.id)
        assert binding is not None and binding.units == ["区水务局"]
    finally:
        store.close()


def test_building_the_bot_changes_no_environment_variable() -> None:
    # Subprocesses and tests inherit os.environ; the wiring must not opt them into library modes.
    env = {name: value for name, value in os.environ.items() if name != "PTB_TIMEDELTA"}
    script = "import os, bot.app, bot.commands.run; print(sorted(set(os.environ) - set(ENV)))"
    result = subprocess.run(
        [sys.executable, "-c", f"ENV = {sorted(env)!r}\n{script}"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
