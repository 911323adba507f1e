"""What every handler, job and command needs, bundled once: the wiring passes it around."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.clock import Clock
from bot.directory import Directory
from bot.models import Plan
from bot.store import Store


@dataclass
class Services:
    plan: Plan
    directory: Directory
    store: Store
    clock: Clock
    admin_ids: frozenset[int] = field(default_factory=frozenset)
    completion_review: bool = False
    """COMPLETION_REVIEW: a 已完成 waits for review (``bot.workflow.open_review``)."""
    monthly_progress: bool = True

    def is_admin(self, user_id: int | None) -> bool:
        """Admins come from BOT_ADMIN_IDS or from a role granted in the store."""
        if user_id is None:
            return False
        return user_id in self.admin_ids or self.store.has_role(user_id, "admin")
