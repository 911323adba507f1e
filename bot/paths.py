"""Default locations of the project's data files, relative to the repository root."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
SOURCE_PLAN = DATA / "source" / "tongzhou-2023-action-plan.txt"
PLAN = DATA / "plan.json"
UNITS = DATA / "units.json"
STATE = DATA / "state"
DB = STATE / "bot.db"
