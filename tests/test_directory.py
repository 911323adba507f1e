"""The unit directory: the real data/units.json, and how a broken directory file is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot import paths
from bot.directory import Directory
from bot.models import Plan

SUBDISTRICTS = [
    f"{name}街道"
    for name in ["中仓", "新华", "北苑", "玉桥", "潞源", "通运", "文景", "九棵树", "临河里", "杨庄", "潞邑"]
]
TOWNS = [
    "宋庄镇",
    "张家湾镇",
    "漷县镇",
    "马驹桥镇",
    "西集镇",
    "台湖镇",
    "永乐店镇",
    "潞城镇",
    "永顺镇",
    "梨园镇",
    "于家务乡",
]
OPEN_LABELS = [
    "相关街道乡镇",
    "相关乡镇街道",
    "各相关单位",
    "相关行业主管部门",
    "相关乡镇",
    "区委生态文明委大气污染综合治理及应对气候变化工作小组成员单位",
    "区烟花办成员单位",
    "区空气重污染应急指挥部成员单位",
]


@pytest.fixture(scope="module")
def directory() -> Directory:
    return Directory.load(paths.UNITS)


@pytest.fixture(scope="module")
def plan() -> Plan:
    return Plan.load(paths.PLAN)


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("区生态环境局", "区生态环境局"),
        ("市场监管局", "区市场监管局"),
        ("市场监督管理局", "区市场监管局"),
        ("区城市管委", "区城市管理委"),
        ("区文化旅游局", "区文化和旅游局"),
        ("住房城乡建设委", "区住房城乡建设委"),
        ("公路分局", "通州公路分局"),
        ("交通支队", "通州交通支队"),
        ("区国资委（大运河水务公司）", "区国资委"),
        ("区 水务局", "区水务局"),
        ("宋庄", "宋庄镇"),
        ("各街道乡镇", "各街道乡镇"),
        ("相关乡镇街道", "相关街道乡镇"),
    ],
)
def test_names_aliases_and_spaces_resolve(directory: Directory, name: str, canonical: str) -> None:
    assert directory.resolve(name) == canonical


def test_unknown_names_do_not_resolve(directory: Directory) -> None:
    assert directory.resolve("区不存在局") is None
    assert directory.expand("区不存在局") == []
    assert directory.unit("区不存在局") is None
    assert not directory.is_group("区不存在局")


def test_all_subdistricts_and_towns(directory: Directory) -> None:
    assert directory.expand("各街道乡镇") == SUBDISTRICTS + TOWNS
    assert directory.expand("各乡镇政府") == TOWNS
    assert [u.name for u in directory.units if u.kind == "subdistrict"] == SUBDISTRICTS
    assert [u.name for u in directory.units if u.kind == "town"] == TOWNS


def test_a_unit_expands_to_itself_through_any_alias(directory: Directory) -> None:
    assert directory.expand("市场监管局") == ["区市场监管局"]
    unit = directory.unit("区文化旅游局")
    assert unit is not None and unit.name == "区文化和旅游局" and unit.kind == "district"
    assert directory.unit("各街道乡镇") is None


@pytest.mark.parametrize("label", OPEN_LABELS)
def test_groups_the_plan_leaves_open_are_open_and_empty_until_filled(
    directory: Directory, label: str
) -> None:
    group = directory.group(label)
    assert group is not None and group.open and group.members == []
    assert directory.is_group(label)
    assert directory.expand(label) == []
    assert "members" in group.note and "plan check" in group.note


def test_the_file_tells_an_operator_how_to_fill_open_groups(directory: Directory) -> None:
    assert "open" in directory.note and "members" in directory.note and "plan check" in directory.note


def test_every_unit_and_leader_of_the_plan_resolves(directory: Directory, plan: Plan) -> None:
    units = {name for m in plan.measures for name in [*m.lead_units, *m.co_units]}
    leaders = {name for m in plan.measures for name in m.leaders}
    assert {name for name in units if directory.resolve(name) is None} == set()
    assert {name for name in leaders if directory.resolve_leader(name) is None} == set()
    # and the directory lists no unit the plan and its groups never mention
    used = {unit for name in units for unit in directory.expand(name)}
    assert {u.name for u in directory.units} - used == set()


def test_leaders(directory: Directory) -> None:
    assert directory.resolve_leader("郑  皓") == "郑皓"
    assert directory.resolve_leader("陈江华") == "陈江华"
    assert directory.resolve_leader("张三") is None


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [
        ("秦韬", ["秦涛"]),
        ("秦 韬", ["秦涛"]),
        ("倪德", ["倪德才"]),
        ("卢庆", ["卢庆雷"]),
        ("张三", []),
        ("", []),
    ],
)
def test_leader_suggestions_for_near_misses(directory: Directory, typed: str, suggested: list[str]) -> None:
    assert directory.suggest_leader(typed) == suggested


def test_suggestions_for_near_misses(directory: Directory) -> None:
    assert directory.suggest("市场监管")[0] == "区市场监管局"
    assert directory.suggest("区住建")[0] == "区住房城乡建设委"
    assert "区园林绿化局" in directory.suggest("园林局")
    assert len(directory.suggest("区局", limit=2)) <= 2
    assert directory.suggest("") == []


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "units.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def _minimal() -> dict[str, object]:
    return {
        "units": [
            {"name": "区水务局", "kind": "district", "aliases": ["水务局"]},
            {"name": "宋庄镇", "kind": "town", "aliases": []},
        ],
        "groups": [{"label": "各乡镇政府", "members": ["宋庄镇"]}],
        "leaders": ["秦涛"],
    }


def test_an_operator_fills_an_open_group_by_editing_the_file(tmp_path: Path) -> None:
    data = _minimal()
    data["groups"] = [
        {"label": "相关乡镇", "members": ["宋庄", "水务局"], "open": True, "aliases": ["相关乡镇政府"]}
    ]
    data["units"][1]["aliases"] = ["宋庄"]  # type: ignore[index]
    directory = Directory.load(_write(tmp_path, data))
    assert directory.expand("相关乡镇政府") == ["宋庄镇", "区水务局"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["units"].append({"name": "区水务局", "kind": "district"}), "listed twice"),
        (lambda d: d["units"][1]["aliases"].append("水务局"), "already stands for"),
        (lambda d: d["groups"].append({"label": "区水务局"}), "already stands for"),
        (lambda d: d["groups"][0]["members"].append("漷县镇"), "not a unit"),
        (lambda d: d["units"][0].update(kind="bureau"), "kind"),
        (lambda d: d["leaders"].append("秦  涛"), "listed twice"),
    ],
)
def test_an_inconsistent_directory_is_refused_with_the_reason(
    tmp_path: Path, change: object, message: str
) -> None:
    data = _minimal()
    change(data)  # type: ignore[operator]
    with pytest.raises(ValidationError) as caught:
        Directory.load(_write(tmp_path, data))
    assert message in str(caught.value)


def test_a_missing_or_unreadable_directory_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        Directory.load(tmp_path / "absent.json")
    broken = tmp_path / "broken.json"
    broken.write_text('{"units": [', encoding="utf-8")
    with pytest.raises(ValidationError):
        Directory.load(broken)
