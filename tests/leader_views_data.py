"""A small hand-built plan for the leader-view tests: every rule the views apply shows up in it.

* 1-1-1: deadline at year end, but a milestone at the end of June; a lead and a co unit.
* 2-1-1: due end of June; co units given as a group label (各乡镇政府: two towns).
* 2-2-1: ongoing (no date); two lead units; two leaders.
* 2-3-1: due end of May; its lead is an open group nobody has filled in, written as the
  group's alias (相关乡镇街道 for 相关街道乡镇), as the real plan does.
"""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

from bot import texts
from bot.clock import TZ
from bot.directory import Directory, Group, Unit
from bot.models import Annex, Deadline, Measure, Milestone, Plan, Status
from bot.store import Store


def deadline(raw: str, due: date | None) -> Deadline:
    return Deadline(raw=raw, kind="date" if due else "ongoing", due=due)


def small_plan() -> Plan:
    def measure(mid: str, **kw: object) -> Measure:
        annex, task_no, _ = (int(p) for p in mid.split("-"))
        fields: dict[str, object] = {
            "id": mid,
            "annex": annex,
            "section": "一、测试",
            "task_no": task_no,
            "task": f"任务{mid}",
            "text": f"措施{mid}的全文。",
            "deadline": deadline("年底前", date(2023, 12, 31)),
        }
        fields.update(kw)
        return Measure.model_validate(fields)

    return Plan(
        title="测试计划",
        year=2023,
        issued=date(2023, 3, 20),
        annexes=[Annex(no=1, title="应对气候变化"), Annex(no=2, title="大气污染防治")],
        measures=[
            # deadline at year end, but a milestone at the end of June
            measure(
                "1-1-1",
                milestones=[Milestone(raw="6月底前", due=date(2023, 6, 30), text="6月底前制定方案")],
                leaders=["倪德才"],
                lead_units=["区生态环境局"],
                co_units=["区发展改革委"],
            ),
            measure(
                "2-1-1",
                deadline=deadline("6月底前", date(2023, 6, 30)),
                leaders=["郑皓"],
                lead_units=["区水务局"],
                co_units=["各乡镇政府"],
            ),
            measure(
                "2-2-1",
                deadline=deadline("长期坚持", None),
                leaders=["倪德才", "郑皓"],
                lead_units=["区水务局", "区生态环境局"],
            ),
            measure(
                "2-3-1",
                deadline=deadline("5月底前", date(2023, 5, 31)),
                leaders=["倪德才"],
                lead_units=["相关乡镇街道"],
            ),
        ],
    )


def small_directory() -> Directory:
    return Directory(
        units=[
            Unit(name="区生态环境局", kind="district", aliases=["生态环境局"]),
            Unit(name="区发展改革委", kind="district"),
            Unit(name="区水务局", kind="district", aliases=["水务局"]),
            Unit(name="宋庄镇", kind="town"),
            Unit(name="张家湾镇", kind="town"),
        ],
        groups=[
            Group(label="各乡镇政府", members=["宋庄镇", "张家湾镇"]),
            Group(label="相关街道乡镇", open=True, aliases=["相关乡镇街道"]),
        ],
        leaders=["倪德才", "郑皓"],
    )


def report(
    store: Store, measure: str, unit: str, status: Status, day: date, at: time = time(10, 0), **kw: object
) -> None:
    """Record a report dated ``day`` (at ten in the morning unless ``at`` says otherwise)."""
    store.record_progress(measure, unit, status, datetime.combine(day, at, tzinfo=TZ), **kw)  # type: ignore[arg-type]


def write_small_files(folder: Path) -> dict[str, Path]:
    """The small plan and directory as files in ``folder``, and a database beside them (under
    ``state/``, as in the project) holding three reports and one bound group chat.

    Keys ``plan``, ``units`` and ``db``; what the CLI tests pass as ``--plan --units --db``.
    """
    plan = folder / "plan.json"
    plan.write_text(small_plan().to_json(), encoding="utf-8")
    units = folder / "units.json"
    units.write_text(small_directory().to_json(), encoding="utf-8")
    db = folder / "state" / "bot.db"
    with Store.open(db) as store:
        report(store, "2-1-1", "区水务局", Status.IN_PROGRESS, date(2023, 6, 1), percent=40, note="施工中")
        report(store, "2-1-1", "宋庄镇", Status.BLOCKED, date(2023, 6, 15), note="资金未到位")
        report(store, "1-1-1", "区生态环境局", Status.DONE, date(2023, 7, 20))
        store.bind_units(-100, ["区水务局"], title="水务局群")
    return {"plan": plan, "units": units, "db": db}


def items_on_page(page: str) -> list[tuple[str, str, str]]:
    """(unit, measure, due) of each dated item on a page of a per-unit list, read back from the text.

    The unit is the heading's name (an open group's label, without the unassigned mark).
    """
    found = []
    for part in page.split("\n\n")[1:]:
        heading, *lines = part.split("\n")
        if not heading.startswith("【"):
            continue
        unit = heading[1 : heading.index("】")]
        measure = ""
        for line in lines:
            if not line.startswith(" "):
                measure = line.split()[1]
            elif line.strip().startswith(tuple(texts.LV_ITEM_KIND.values())):
                due = line.split()[1]
                found.append((unit, measure, due.split(texts.LV_ITEM_WHAT.format(text=""))[0]))
    return found
