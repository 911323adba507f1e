"""Who may do what in the supervision loop (issue 10): one function per question, asked by every
path (buttons, commands), so the rules live here and not as ``if``s in the handlers.

Reporting progress is ``bot.progress.authorize_report``'s question (a unit's chat, for its
measures); asking for an extension is the same question, since it is the unit's own item.
"""

from __future__ import annotations

from bot.directory import Directory, normalize
from bot.models import Measure
from bot.store import Binding


def leads_measure(measure: Measure, directory: Directory, binding: Binding | None) -> bool:
    """Whether the chat is the chat of one of the measure's leaders (倪德才's chat for 2-63-1)."""
    if binding is None or binding.leader is None:
        return False
    leaders = {directory.resolve_leader(raw) or normalize(raw) for raw in measure.leaders}
    return binding.leader in leaders


def may_decide(measure: Measure, directory: Directory, binding: Binding | None, *, admin: bool) -> bool:
    """May this user, in this chat, decide on the measure's extension requests and completion
    reviews? An admin anywhere; anyone in the chat of one of the measure's leaders."""
    return admin or leads_measure(measure, directory, binding)


def may_chase(binding: Binding | None, *, admin: bool) -> bool:
    """May this user, in this chat, send a 催办? An admin, or anyone in a leader's chat."""
    return admin or (binding is not None and binding.leader is not None)


def may_plan(*, admin: bool) -> bool:
    """May this user give a measure its dates (/setdue) or fill its open group (/assign)? Admins."""
    return admin


def acts_for_unit(binding: Binding | None, unit: str) -> bool:
    """May this chat act for ``unit`` from its digest: answer its 月调度, list a compact group,
    ask for an extension with the 申请延期 button? The unit's own chat, as for reports."""
    return binding is not None and unit in binding.units
