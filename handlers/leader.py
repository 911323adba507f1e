"""Leader views in chat: /overdue, /upcoming, /status, /summary, /mytasks, paged with inline buttons.

Each command reads its argument into a ``ViewRequest``; ``show`` then decides the scope (the
one authorization rule, ``bot.queries.chat_scope``), runs the query for today and replies with
the first page. Page buttons carry the request itself, so a press re-runs it for the same day
with the presser's rights: nothing is kept in memory and buttons survive a restart.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Literal

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot import numerals, queries, render, reports, texts
from bot.clock import today
from bot.progress import MEASURE_ID, normalize_measure_id, normalize_text
from bot.search import find_measures, search_words
from bot.services import Services
from handlers.chat import Context, is_admin, reply, services
from handlers.supervision import overdue_chase_rows

View = Literal["o", "u", "m", "s", "t"]
DETAILED = "1"
"""``extra`` of an /overdue request for the long form (/overdue 详细)."""
SUMMARY_ANNEXES, SUMMARY_UNITS = "1", "2"
SUMMARY_PARTS: dict[str, render.SummaryPart] = {SUMMARY_ANNEXES: "annexes", SUMMARY_UNITS: "units"}
"""``extra`` of a /summary request for one part in full, as its buttons open it ("" is the
compact screen)."""
CALLBACK_PREFIX = "lv:"
# lv:VIEW:SCOPE:YYYYMMDD:EXTRA:PAGE — SCOPE is "-" (the chat's default), "*" (everything),
# u/g/l + an index into the directory's units/groups/leaders, or a + an annex number.
_CALLBACK = re.compile(
    r"^lv:([oumst]):(-|\*|[ugl][0-9]{1,4}|a[0-9]{1,2}):([0-9]{8}):([0-9-]{0,20}):([0-9]{1,4})$"
)


@dataclass(frozen=True)
class ViewRequest:
    """One view as asked for: which, for what scope (as typed, encoded), on which day."""

    view: View
    day: date
    scope: str = "-"
    extra: str = ""

    def callback(self, page: int) -> str:
        return f"{CALLBACK_PREFIX}{self.view}:{self.scope}:{self.day:%Y%m%d}:{self.extra}:{page}"

    @classmethod
    def from_callback(cls, data: str) -> tuple[ViewRequest, int]:
        """Raises ValueError for anything this module did not make."""
        found = _CALLBACK.match(data)
        if found is None:
            raise ValueError(f"not a leader-view button: {data!r}")
        view, scope, day, extra, page = found.groups()
        on = date(int(day[:4]), int(day[4:6]), int(day[6:]))
        if not EARLIEST_DAY <= on <= LATEST_DAY:
            # The views count days from it: year 9999 would overflow, and no button of ours says so.
            raise ValueError(f"a leader-view button for {on}")
        return cls(view, on, scope, extra), int(page)  # type: ignore[arg-type]


EARLIEST_DAY, LATEST_DAY = date(2000, 1, 1), date(2099, 12, 31)
"""The days a page button may name: far beyond any plan, well inside what date arithmetic allows."""


# --- scope codes: what the user typed, small enough for a button ---------------------------------


def encode_scope(svc: Services, scope: queries.Scope | None) -> str:
    if scope is None:
        return "-"
    if scope.is_everything:
        return "*"
    if scope.annex is not None:
        return f"a{scope.annex}"
    if scope.leader is not None:
        return f"l{[''.join(name.split()) for name in svc.directory.leaders].index(scope.leader)}"
    units = [u.name for u in svc.directory.units]
    if scope.label in units:
        return f"u{units.index(scope.label)}"
    return f"g{[g.label for g in svc.directory.groups].index(scope.label)}"


def decode_scope(svc: Services, code: str) -> queries.Scope | None:
    """The scope a button names; ValueError if it names nothing (forged, or the directory changed)."""
    if code == "-":
        return None
    if code == "*":
        return queries.scope_everything(texts.LV_EVERYTHING)
    kind, number = code[0], int(code[1:])
    try:
        if kind == "a":
            return queries.annex_scope(svc.plan, number)
        names = {
            "l": svc.directory.leaders,
            "u": [u.name for u in svc.directory.units],
            "g": [g.label for g in svc.directory.groups],
        }[kind]
        if number >= len(names):
            raise ValueError(f"no {kind} number {number}")
        if kind == "l":
            return queries.leader_scope(svc.directory, names[number])
        return queries.unit_scope(svc.directory, names[number])
    except queries.ScopeError as exc:
        raise ValueError(str(exc)) from None


# --- building pages -------------------------------------------------------------------------------


class Answer(Exception):
    """A short reply instead of a view: a refusal, a usage hint, an unknown name."""


def chat_scope(svc: Services, requested: queries.Scope | None, chat_id: int, admin: bool) -> queries.Scope:
    """What this user in this chat may see of ``requested`` (``bot.queries.chat_scope``); raises
    Answer with the refusal otherwise."""
    scope = queries.chat_scope(svc.store.binding(chat_id), admin, requested, texts.LV_EVERYTHING)
    if isinstance(scope, queries.Refusal):
        if scope.reason == "unbound":
            raise Answer(texts.LV_REFUSED_UNBOUND)
        raise Answer(texts.LV_REFUSED_OUTSIDE.format(allowed=scope.allowed))
    return scope


def pages_for(svc: Services, request: ViewRequest, chat_id: int, admin: bool) -> list[str]:
    """The pages of a view as this user in this chat may see it; raises Answer otherwise."""
    try:
        requested = decode_scope(svc, request.scope)
    except ValueError:
        raise Answer(texts.LV_BUTTON_STALE) from None
    scope = chat_scope(svc, requested, chat_id, admin)
    snapshot = queries.Snapshot.take(svc.plan, svc.directory, svc.store, request.day)
    if request.view == "o":
        found = queries.overdue(snapshot, scope)
        if request.extra == DETAILED:
            return render.unit_report_pages(found)
        return render.overdue_compact_pages(found, _groups(svc))
    if request.view == "u":
        return render.unit_report_pages(queries.upcoming(snapshot, scope, int(request.extra)))
    if request.view == "m":
        return render.mytasks_pages(queries.my_tasks(snapshot, scope), _groups(svc))
    if request.view == "s":
        counted = queries.summary(snapshot, scope)
        if request.extra in SUMMARY_PARTS:
            return render.summary_pages(counted, part=SUMMARY_PARTS[request.extra])
        if request.extra:
            raise Answer(texts.LV_BUTTON_STALE)
        ranking = reports.ranking_by_results(snapshot, scope)
        return [render.summary_compact(counted, ranking)]
    try:
        return render.status_pages(
            queries.measure_status(snapshot, request.extra, svc.store.history, svc.store.acknowledgements),
            groups=_groups(svc),
        )
    except queries.UnknownMeasure as exc:
        raise Answer(render.unknown_measure_text(exc)) from None


def _groups(svc: Services) -> dict[str, list[str]]:
    """Each group label with its units, so many units can be counted by the group they make up."""
    return queries.unit_groups(svc.directory)


def _with_suggestions(message: str, suggestions: list[str]) -> str:
    if not suggestions:
        return message
    return message + "\n" + texts.DID_YOU_MEAN.format(names=render.joined(suggestions, escape=False))


def keyboard(
    request: ViewRequest, page: int, pages: int, extra: Sequence[Sequence[InlineKeyboardButton]] = ()
) -> InlineKeyboardMarkup | None:
    """The page buttons; for /summary also the buttons that open its parts in full, and back; then
    ``extra`` rows (/overdue's 催办)."""
    rows = [page_row(request, page, pages)] if pages > 1 else []
    if request.view == "s" and not request.extra:
        rows.append(
            [
                InlineKeyboardButton(
                    texts.LV_SUMMARY_BUTTON_ANNEXES,
                    callback_data=replace(request, extra=SUMMARY_ANNEXES).callback(1),
                ),
                InlineKeyboardButton(
                    texts.LV_SUMMARY_BUTTON_UNITS,
                    callback_data=replace(request, extra=SUMMARY_UNITS).callback(1),
                ),
            ]
        )
    elif request.view == "s":
        rows.append(
            [
                InlineKeyboardButton(
                    texts.LV_SUMMARY_BUTTON_BACK, callback_data=replace(request, extra="").callback(1)
                )
            ]
        )
    rows.extend(list(row) for row in extra)
    return InlineKeyboardMarkup(rows) if rows else None


def page_row(request: ViewRequest, page: int, pages: int) -> list[InlineKeyboardButton]:
    row = []
    if page > 1:
        row.append(InlineKeyboardButton(texts.LV_BUTTON_PREV, callback_data=request.callback(page - 1)))
    row.append(
        InlineKeyboardButton(
            texts.LV_BUTTON_PAGE.format(page=page, pages=pages), callback_data=request.callback(page)
        )
    )
    if page < pages:
        row.append(InlineKeyboardButton(texts.LV_BUTTON_NEXT, callback_data=request.callback(page + 1)))
    return row


def chase_rows(
    svc: Services, request: ViewRequest, chat_id: int, admin: bool
) -> list[list[InlineKeyboardButton]]:
    """Today's /overdue in a leader's chat or for an admin carries 催办 buttons (issue 10)."""
    if request.view != "o" or request.day != today(svc.clock):
        return []
    return overdue_chase_rows(svc, svc.store.binding(chat_id), admin, request.day)


def scope_request(svc: Services, view: View, day: date, args: list[str], usage: str) -> ViewRequest:
    """A view whose optional argument is a unit, leader, 附件N or 全部."""
    if not args:
        return ViewRequest(view, day)
    return ViewRequest(view, day, encode_scope(svc, typed_scope(svc, args, usage)))


def typed_scope(svc: Services, args: list[str], usage: str) -> queries.Scope | None:
    """The scope a command's argument names (None without one); Answer with suggestions and the
    usage for a name that is nothing."""
    if not args:
        return None
    try:
        return queries.parse_scope(svc.plan, svc.directory, " ".join(args), texts.LV_EVERYTHING)
    except queries.ScopeError as exc:
        unknown = texts.LV_UNKNOWN_SCOPE.format(text=render.cut(exc.text, render.ARGUMENT_CHARS))
        raise Answer(_with_suggestions(unknown, exc.suggestions) + "\n" + usage) from None


# --- handlers ---------------------------------------------------------------------------------------


async def show(update: Update, context: Context, build: Callable[[Services, date], ViewRequest]) -> None:
    """Reply with the first page of the view ``build(svc, today)`` asks for, or with why not."""
    svc = services(context)
    if update.effective_message is None or update.effective_chat is None:
        return
    try:
        request = build(svc, today(svc.clock))
        pages = pages_for(svc, request, update.effective_chat.id, is_admin(svc, update))
    except Answer as answer:
        await reply(update, str(answer), parse_mode=None)
        return
    extra = chase_rows(svc, request, update.effective_chat.id, is_admin(svc, update))
    await reply(update, pages[0], parse_mode=None, reply_markup=keyboard(request, 1, len(pages), extra))


async def overdue(update: Update, context: Context) -> None:
    """/overdue: each overdue item once, its units summarised; /overdue 详细: unit by unit."""
    args = context.args or []
    detailed = texts.LV_OVERDUE_DETAILED_WORD in args
    scope_args = [arg for arg in args if arg != texts.LV_OVERDUE_DETAILED_WORD]

    def build(svc: Services, day: date) -> ViewRequest:
        request = scope_request(svc, "o", day, scope_args, texts.LV_USAGE_OVERDUE)
        return replace(request, extra=DETAILED) if detailed else request

    await show(update, context, build)


async def summary(update: Update, context: Context) -> None:
    args = context.args or []
    await show(update, context, lambda svc, day: scope_request(svc, "s", day, args, texts.LV_USAGE_SUMMARY))


async def mytasks(update: Update, context: Context) -> None:
    args = context.args or []
    await show(update, context, lambda svc, day: scope_request(svc, "m", day, args, texts.LV_USAGE_MYTASKS))


async def upcoming(update: Update, context: Context) -> None:
    await show(
        update, context, lambda svc, day: ViewRequest("u", day, extra=str(upcoming_days(context.args)))
    )


async def status(update: Update, context: Context) -> None:
    """/status 2-63-1 opens a measure; /status 噪声 (words, no number) finds measures as /find does."""
    typed = " ".join(context.args or [])
    if typed and not any(char.isdigit() for char in normalize_text(typed)):
        await find(update, context)
        return
    await show(update, context, lambda svc, day: ViewRequest("t", day, extra=measure_arg(context.args)))


async def find(update: Update, context: Context) -> None:
    """/find 噪声: up to 10 measures whose task or text holds the words, each with a button that
    opens it; a single match opens directly."""
    svc = services(context)
    chat = update.effective_chat
    typed = " ".join(context.args or [])
    if chat is None:
        return
    if not search_words(typed):
        await reply(update, texts.LV_USAGE_FIND, parse_mode=None)
        return
    scope = queries.chat_scope(svc.store.binding(chat.id), is_admin(svc, update), None, texts.LV_EVERYTHING)
    if isinstance(scope, queries.Refusal):
        await reply(update, texts.LV_REFUSED_UNBOUND, parse_mode=None)
        return
    matches = find_measures(svc.plan, typed)
    if matches.total == 1:
        only = matches.measures[0].id
        await show(update, context, lambda svc, day: ViewRequest("t", day, extra=only))
        return
    day = today(svc.clock)
    buttons = [
        [
            InlineKeyboardButton(
                render.found_button(m), callback_data=ViewRequest("t", day, extra=m.id).callback(1)
            )
        ]
        for m in matches.measures
    ]
    markup = InlineKeyboardMarkup(buttons) if buttons else None
    await reply(update, render.found_text(matches), parse_mode=None, reply_markup=markup)


def upcoming_days(args: list[str] | None) -> int:
    if not args:
        return queries.DEFAULT_UPCOMING_DAYS
    days = numerals.days("".join(args))
    if days is not None and days <= queries.MAX_UPCOMING_DAYS:
        return days
    raise Answer(texts.LV_USAGE_UPCOMING)


def measure_arg(args: list[str] | None) -> str:
    """The measure ID as a button can carry it (ASCII digits and dashes), read the way /report
    reads IDs, so ２－６３－１ and 2 - 63 - 1 work here too. Words after the ID are ignored
    (``/status 2-63-1 进展如何``)."""
    typed = " ".join(args or [])
    if not normalize_measure_id(typed):
        raise Answer(texts.LV_USAGE_STATUS)
    # The first word is the ID when it is one on its own (/status 2-63-1 2); otherwise the whole
    # text, so an ID typed with spaces (2 - 63 - 1) still reads.
    for candidate in ((args or [""])[0], typed):
        text = normalize_measure_id(candidate)
        if MEASURE_ID.fullmatch(text):
            return text
    raise Answer(texts.LV_UNKNOWN_MEASURE.format(text=render.cut(typed, render.ARGUMENT_CHARS)))


async def page_pressed(update: Update, context: Context) -> None:
    """A page button: re-run the view it names for its day and show the page it asks for."""
    query = update.callback_query
    if query is None or update.effective_chat is None:
        return
    svc = services(context)
    try:
        request, page = ViewRequest.from_callback(query.data or "")
        pages = pages_for(svc, request, update.effective_chat.id, is_admin(svc, update))
        if not 1 <= page <= len(pages):
            raise Answer(texts.LV_BUTTON_NO_PAGE.format(pages=len(pages)))
    except ValueError:
        await query.answer(texts.LV_BUTTON_STALE, show_alert=True)
        return
    except Answer as answer:
        await query.answer(render.fit_alert(str(answer)), show_alert=True)
        return
    try:
        extra = chase_rows(svc, request, update.effective_chat.id, is_admin(svc, update))
        await query.edit_message_text(
            pages[page - 1], parse_mode=None, reply_markup=keyboard(request, page, len(pages), extra)
        )
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            raise
    await query.answer()


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add the leader-view commands and their page buttons (called from the one wiring place)."""
    application.add_handler(CommandHandler("overdue", overdue))
    application.add_handler(CommandHandler("upcoming", upcoming))
    application.add_handler(CommandHandler("status", status))
    application.add_handler(CommandHandler("find", find))
    application.add_handler(CommandHandler("summary", summary))
    application.add_handler(CommandHandler("mytasks", mytasks))
    application.add_handler(CallbackQueryHandler(page_pressed, pattern=f"^{CALLBACK_PREFIX}"))
