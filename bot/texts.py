"""Every user-facing Chinese string of the bot, in one place so wording is easy to review.

Sections are marked ``# --- section: NAME ---``; each feature edits only its own section.
Templates use ``str.format`` fields; values that came from users are HTML-escaped by the caller.
"""

# --- section: common ---
STATUS_LIGHT_WARNING = "🟡"
# Shared by chat replies (HTML) and the leader views (plain text): one wording everywhere.
LIST_SEPARATOR = "、"
CLAUSE_SEPARATOR = "；"
NOTHING = "无"
ELLIPSIS = "…"
DID_YOU_MEAN = "您是不是要找：{names}？"
PERCENT = " {percent}%"
UNASSIGNED = "（尚未指定具体单位）"

# --- section: bot ---
# Chat text of binding, progress capture, digests, /start, /help and errors (handlers/*.py).
# Sent with HTML parse mode: every value filled in is HTML-escaped by the caller.
BOT_ADMIN_ONLY = "只有管理员可以使用 /{command}。"
BOT_AND_MORE = " 等 {count} 个单位"
BOT_HERE_GROUP = "本群"
BOT_HERE_PRIVATE = "本聊天"

# binding
BOT_BIND_USAGE = (
    "用法：\n"
    "· 管理员：/bind 单位名称（可写多个，用空格或顿号隔开）\n"
    "· 单位联系人：/bind 邀请码（向管理员索取）"
)
BOT_BIND_NEEDS_CODE = "只有管理员可以按单位名称绑定。请向管理员索取 {unit} 的邀请码，再发送 /bind 邀请码。"
BOT_BIND_DONE = (
    "✅ {here}已绑定：{units}\n"
    "今后{here}会收到这些单位的每日工作提醒，并可在此报告进展。发送 /help 查看用法。"
)
BOT_START_UNIT_NAME = (
    "绑定需要邀请码，不能直接写单位名称。请向管理员索取 {unit} 的邀请码（如 <code>ABCD2345</code>），"
    "再发送 /start 邀请码 或在本单位工作群发送 /bind 邀请码。"
)
BOT_START_UNIT_NAME_ADMIN = (
    "您是管理员：在要绑定的群里发送 /bind {unit} 即可；也可以发送 /invite {unit} 生成邀请码。"
)
BOT_UNKNOWN_UNIT = "未找到单位“{name}”。"
BOT_UNIT_IS_GROUP = "“{name}”是单位组（{members}），请绑定其中的具体单位。"
BOT_UNIT_GROUP_EMPTY = (
    "“{name}”是单位组，目前还没有指定具体单位，无法绑定。"
    "请运维人员在 data/units.json 中补充该组的成员单位后再绑定。"
)
BOT_BINDLEADER_USAGE = "用法：/bindleader 领导姓名，例如 /bindleader 倪德才"
BOT_UNKNOWN_LEADER = "未找到领导“{name}”。"
# A leader's name given to /bind, or a unit's to /bindleader: say which command binds it.
BOT_BIND_IS_LEADER = "“{name}”是领导：领导群请发送 <code>/bindleader {name}</code>。"
BOT_BINDLEADER_IS_UNIT = "“{name}”是单位：单位工作群请发送 <code>/bind {name}</code>。"
BOT_BINDLEADER_DONE = (
    "✅ {here}已绑定为 {leader} 的领导群，将收到分管措施的逾期督办提醒。\n发送 /overdue 查看逾期事项。"
)
BOT_BINDLEADER_REPLACED = (
    "✅ {here}的领导已由 {old} 改为 {leader}，今后收到 {leader} 分管措施的逾期督办提醒。\n"
    "发送 /overdue 查看逾期事项。"
)
BOT_BINDLEADER_SAME = "{here}已经是 {leader} 的领导群，无需更改。"
BOT_UNBIND_ALL = "{here}已解除全部绑定，不再收到提醒。"
BOT_UNBIND_UNIT = "已为{here}解除 {unit}。{here}现在绑定：{remaining}"
BOT_UNBIND_NOT_BOUND = "{here}没有绑定 {what}。"
BOT_UNBIND_NOTHING = "{here}尚未绑定，无需解除。"
# Binding that changes what a chat is, and /unbind of everything, ask first (two buttons).
BOT_BIND_CONFIRM_UNITS = (
    "{here}是 {leader} 的领导群。再绑定 {units} 后，{here}也会成为单位群：收到这些单位的每日工作提醒，"
    "并在这里报告进展。确定要绑定吗？"
)
BOT_BIND_CONFIRM_LEADER = (
    "{here}已绑定单位 {units}。再绑定为 {leader} 的领导群后，{here}还会收到 {leader} 分管措施的逾期督办提醒。"
    "确定要绑定吗？"
)
BOT_UNBIND_CONFIRM = "将解除{here}的全部绑定（{what}），解除后{here}不再收到提醒。确定要解除吗？"
BOT_CONFIRM_BIND = "✅ 确定绑定"
BOT_CONFIRM_UNBIND = "确定解除"
BOT_CONFIRM_CANCEL = "取消"
BOT_CONFIRM_CANCELLED = "已取消，{here}的绑定没有变化。"
BOT_CONFIRM_TOO_MANY = "一次绑定的单位太多，请分几次绑定。"
BOT_CONFIRM_ADMIN_ONLY = "只有管理员可以确认。"
BOT_BINDINGS_TITLE = "📎 绑定情况（共 {count} 个聊天）"
BOT_BINDINGS_NONE = "目前没有任何聊天绑定单位或领导。"
BOT_BINDING_ROW = "· {title}（{chat_id}）：{what}"
BOT_BINDING_UNITS = "单位 {units}"
BOT_BINDING_LEADER = "领导 {leader}"
BOT_BINDING_UNTITLED = "未命名聊天"
BOT_THIS_CHAT_BINDING = "本聊天绑定：{what}"
BOT_INVITE_USAGE = "用法：/invite 单位名称，例如 /invite 区水务局"
BOT_INVITE_DONE = (
    "🎟 {unit} 的邀请码：<code>{code}</code>\n"
    "有效期至 {expires}，只能使用一次。使用方式任选其一：\n"
    "· 在本单位工作群发送 <code>/bind {code}</code>\n"
    "· 私聊机器人：{private_link}\n"
    "· 把机器人加入本单位工作群：{group_link}"
)
BOT_INVITE_UNKNOWN = "邀请码 {code} 不存在，请核对后重试，或向管理员重新索取。"
BOT_INVITE_USED = "邀请码 {code} 已经使用过，请向管理员重新索取。"
BOT_INVITE_EXPIRED = "邀请码 {code} 已过期（有效期 7 天），请向管理员重新索取。"
BOT_INVITE_WITHDRAWN = "邀请码 {code} 已作废，请向管理员重新索取。"
BOT_INVITES_TITLE = "有效的邀请码（{count} 个）"
BOT_INVITES_NONE = "目前没有有效的邀请码。/invite 单位名称 可以生成。"
BOT_INVITES_ROW = "<code>{code}</code> · {unit} · {expires} 前有效 · 由 {creator} 生成"
BOT_INVITES_FOOTER = "作废某个邀请码：/uninvite 邀请码"
BOT_UNINVITE_USAGE = "用法：/uninvite 邀请码（/invites 列出有效的邀请码）"
BOT_UNINVITE_DONE = "邀请码 <code>{code}</code>（{unit}）已作废，不能再用于绑定。"

# /start and /help
BOT_WELCOME = "您好！我是通州区深入打好污染防治攻坚战 2023 年行动计划的工作提醒助手。"
BOT_HELP_UNBOUND = (
    "本聊天尚未绑定单位。单位联系人请向管理员索取邀请码，在本单位工作群发送 /bind 邀请码，"
    "或私聊我发送 /start 邀请码。"
)
BOT_HELP_UNITS = "本聊天绑定的单位：{units}"
BOT_HELP_LEADER = "本聊天绑定的领导：{leader}"
BOT_HELP_COMMANDS = "可用命令："
BOT_HELP_COMMAND = "/{command} — {description}"
BOT_HELP_ADMIN = "管理员命令："
BOT_HELP_REPORTING = (
    "报告进展的方式：\n"
    "· 点提醒消息下方的按钮：已完成 / 进行中 / 受阻\n"
    "· 回复提醒消息：<code>2-63-1 已完成 已报送评估报告</code>\n"
    "  提醒只有一项时可只写 <code>进行中 60%</code>\n"
    "· 发送命令：<code>/report 2-63-1 受阻 资金未到位</code>\n"
    "· 发送照片或文件，说明里写上编号（或回复只有一项的提醒），记为佐证材料\n"
    "· 合为一组的事项点“逐项填报”逐项报告\n"
    "· 每月第一个工作日的“月调度”：都按计划推进的，点“均按计划推进”一次确认\n"
    "· 到期或逾期的事项可点“⏳ 申请延期”，回复新的完成日期和理由"
)
BOT_WHOAMI = "您的用户 ID：<code>{user_id}</code>\n本聊天 ID：<code>{chat_id}</code>（{chat_kind}）\n{role}"
BOT_WHOAMI_CHAT_KINDS = {"private": "私聊", "group": "群组", "supergroup": "群组", "channel": "频道"}
BOT_WHOAMI_ADMIN = "您是管理员。"
BOT_WHOAMI_NOT_ADMIN = (
    "您不是管理员。如需成为管理员，请运维人员把您的用户 ID 填入 BOT_ADMIN_IDS 后重启机器人。"
)
# The rule of the lights, as every view and digest applies it (bot.assignments.status_light).
BOT_HELP_LIGHTS = (
    "指示灯：🔴 已逾期；🟡 7 天内到期、报告受阻，或首次提醒（到期前 30 天）后 30 天没有更新"
    "（远期事项没有报送不会变黄）；🟢 正常推进；⛔ 在各个视图里标出报告受阻的单位。"
)
BOT_HELP_REPORTING_SEVERAL = (
    "本聊天绑定了多个单位：报告时在状态前写上单位名称，如 <code>3-6-4 区水务局 已完成</code>；"
    "照片或文件的说明也写上单位名称，如 <code>3-6-4 区水务局 现场照片</code>"
)
BOT_COMMANDS = {
    "start": "开始使用；私聊时可附邀请码",
    "help": "本聊天可用的功能",
    "report": "报告进展：/report 编号 状态 说明",
    "extend": "申请延期：/extend 编号 [事项] 新日期 理由",
    "mytasks": "未完成的事项，最紧急的 10 项在前，按钮翻看其余：本单位的，或领导分管的",
    "overdue": "逾期事项（领导群和管理员可点按钮催办）",
    "upcoming": "近期到期事项：/upcoming 天数",
    "status": "一项措施的详情和各单位进展：/status 编号 或 /status 关键词",
    "find": "按关键词找措施：/find 噪声",
    "summary": "进展汇总：合计、各附件、最滞后的 5 个单位，按钮查看明细",
    "export": "督办台账 Excel 工作簿：/export [单位|领导|附件N|全部]",
    "chart": "各附件完成率和滞后单位图：/chart [单位|领导|附件N|全部]",
    "bindings": "查看绑定情况",
    "bind": "绑定本聊天：/bind 单位名称 或 /bind 邀请码",
    "bindleader": "绑定本聊天为领导群：/bindleader 姓名",
    "unbind": "解除本聊天的绑定：/unbind [单位名称]",
    "invite": "生成单位邀请码：/invite 单位名称",
    "invites": "列出有效的邀请码",
    "uninvite": "作废邀请码：/uninvite 邀请码",
    "chase": "催办逾期单位：/chase [单位|附件N|全部]",
    "setdue": "为“按时间节点完成”的措施设定时间节点：/setdue 编号 日期 [说明]",
    "assign": "为措施中的“各相关单位”指定单位：/assign 编号 单位…",
    "whoami": "查看您的用户 ID 和本聊天的 ID",
}

# progress
# The words people use for each status, as they type them (bot/progress.py reads them; the README and
# the 操作说明 list them). Each word is whole: 完成情况 is no status, 完成了 is 已完成.
STATUS_WORDS = {
    "已完成": ("已完成", "完成", "完成了", "已经完成", "已完成了", "办结", "已办结", "完结"),
    "进行中": ("进行中", "正在推进", "推进中", "正在办理", "在办"),
    "受阻": ("受阻", "有困难", "遇到困难", "卡住了"),
    "未开始": ("未开始", "还没开始", "未启动"),
}
# What replying to a digest or a 督办提醒 with nothing but these means: 签收 (acknowledged).
ACKNOWLEDGEMENT_WORDS = (
    "收到",
    "收到了",
    "已收到",
    "好的",
    "好",
    "明白",
    "明白了",
    "知道了",
    "已阅",
    "阅",
    "马上落实",
    "立即落实",
    "抓紧落实",
    "马上办",
    "遵照执行",
    "谢谢",
    "ok",
    "👌",
    "👍",
)
BOT_STATUS_BUTTONS = {"已完成": "✅ {measure} 已完成", "进行中": "🔄 进行中", "受阻": "⛔ 受阻"}
BOT_REPORT_USAGE = (
    "用法：/report 措施编号 [单位] 状态 [进度%] [说明]\n"
    "例如：<code>/report 2-63-1 受阻 资金未到位</code>\n"
    "状态可选：已完成、进行中、未开始、受阻；进度写成 0–100 的整数加 %，如 60%。\n"
    "本群绑定了多个单位时，在状态前写上单位名称，如 <code>/report 3-6-4 区水务局 已完成</code>"
)
# A message that is not quite a report gets one short question that repeats what was understood
# ({understood}: the report as it would be accepted), never a lesson in how to write one.
BOT_PARSE_PROBLEMS = {
    "empty": "请写上措施编号和状态，如 <code>2-63-1 已完成</code>。",
    "no_measure": "是哪项措施的进展？请在开头写上编号（如 2-63-1），或直接回复那条提醒。",
    "multiple_measures": "一次只能报告一项措施（收到 {detail}），请分条发送。",
    "multiple_units": "一次只能为一个单位报告（收到 {detail}），请分条发送。",
    "no_status": "{understood} 现在是已完成、进行中、未开始还是受阻？",
    "glued_status": "您是说 <code>{understood}</code> 吗？是的话请照这样再发一次。",
    "bad_percent": "进度“{detail}”是多少？请写 0–100 之间的整数加 %，如 60%。",
    "percent_without_sign": "您是说 <code>{understood}</code> 吗？是的话请照这样再发一次。",
    "percent_without_status": "{understood}：现在是进行中、已完成还是受阻？",
    "contradiction": "状态和进度对不上（{detail}），请核对后再发。",
}
# A status without a measure: repeat the status, ask only which measure. In reply to a digest of
# several measures, "or reply to the digest" would be no help: the example names its first one.
BOT_NO_MEASURE_UNDERSTOOD = "“{understood}”是哪项措施的进展？请在开头写上编号，如 <code>{example}</code>。"
BOT_NO_MEASURE_IN_DIGEST = (
    "这条提醒有多项措施，“{understood}”是哪一项的进展？请在开头写上编号，如 <code>{example}</code>。"
)
BOT_NO_MEASURE_EXAMPLE_ID = "2-63-1"
BOT_RECORDED = "✅ 已记录 {measure} {unit}：{status}{percent}{note} · {who}"
BOT_RECORDED_SHORT = (
    "✅ 已记录 {measure} {unit}：{status}{percent}。（详细确认未能发出，记录已保存，无需重复报告。）"
)
# `python -m bot report` prints the chat's confirmation as plain text, with role, time and record number.
BOT_RECORDED_CLI = (
    "✅ 已记录 {measure}{item} {unit}（{role}）：{status}{percent}{note} · 命令行录入 {at} · 记录 #{seq}"
)
BOT_RECORDED_NOTE = "（{note}）"
BOT_RECORDED_BLOCKED_HINT = "\n如需补充受阻原因，请回复本消息。"
BOT_RECORDED_EVIDENCE = "📎 已收到 {measure} {unit} 的佐证材料（{kind}{name}），{state} · {who}"
BOT_EVIDENCE_STATE = {
    "given": "状态：{status}{percent}",
    "kept": "状态未变，仍为 {status}{percent}",
    "none": "尚未报告过状态，记为 {status}；请回复本消息写明状态，如 <code>进行中 60%</code>",
}
BOT_EVIDENCE_KINDS = {"photo": "照片", "document": "文件"}
BOT_EVIDENCE_EXAMPLE_NOTE = "现场照片"
BOT_EVIDENCE_NEEDS_ID = "请在照片或文件的说明里写上措施编号（如 2-63-1），或回复只有一项的提醒后再发送。"
BOT_EVIDENCE_ID_FIRST = "请把措施编号写在说明的开头，如 <code>{measure} 现场照片</code>，再发送一次。"
# 签收: a reaction on the acknowledging message; this line only where a reaction cannot be set.
BOT_ACKNOWLEDGED_REACTION = "👌"
BOT_ACKNOWLEDGED = "👌 已签收 {measures} · {who}"
BOT_BUTTON_ANSWER = "已记录：{measure} {status}"
BOT_DIGEST_RECORDED_MARK = "✅ 已记录"
"""How a digest entry's mark line begins: a later press replaces the line that begins so."""
BOT_DIGEST_RECORDED = "   " + BOT_DIGEST_RECORDED_MARK + "{item} {status}{percent} · {who} · {time}"
"""The line a button press adds to its entry in the digest, in place of a message to the group."""
BOT_BUTTON_STALE = "这个按钮已失效。请使用最新的提醒，或发送 /report 编号 状态。"
BOT_REFUSE_NOT_BOUND = (
    "本聊天没有绑定单位，不能报告进展。请向管理员索取本单位的邀请码，然后在本单位工作群发送 /bind 邀请码"
    "（或私聊我发送 /start 邀请码）。"
)
BOT_REFUSE_LEADER_CHAT = (
    "本聊天是 {leader} 的领导群，不在这里报告进展：{measure} 的进展由责任单位在本单位工作群报告"
    "（{responsible}）。发送 /status {measure} 查看各单位进展。"
)
BOT_REFUSE_ADMIN_UNBOUND = (
    "本聊天没有绑定单位，不在这里报告进展：{measure} 的进展由责任单位在本单位工作群报告（{responsible}）。"
)
BOT_REFUSE_ADMIN_HOW_TO_BIND = (
    "您是管理员：要绑定单位工作群，在该群发送 <code>/bind {unit}</code>；"
    "或发送 <code>/invite {unit}</code> 生成邀请码，交给该单位联系人。"
)
BOT_REFUSE_ADMIN_ANY_UNIT = "单位名称"
BOT_REFUSE_NOT_RESPONSIBLE = (
    "不能代为{action}：{measure} 的责任单位是 {responsible}，本聊天绑定的是 {units}。"
)
BOT_REFUSE_UNIT_NOT_BOUND = "不能代为{action}：本聊天没有绑定 {unit}，绑定的是 {units}。"
# What another unit's chat may not do for it: report (a report, evidence) or ask for more time.
BOT_REFUSE_ACTION_REPORT = "报告"
BOT_REFUSE_ACTION_EXTEND = "申请延期"
BOT_REFUSE_WHICH_UNIT = (
    "本聊天绑定的 {units} 都负责 {measure}，请写明为哪个单位报告，例如：<code>{example}</code>"
)
# The annex's own role word (主责 / 协办, 牵头 / 责任) and its units.
BOT_RESPONSIBLE_ROLE = "{role} {units}"
BOT_REFUSE_UNKNOWN_ITEM = (
    "{measure} 没有“{item}”这一事项。该措施的事项：{items}。请写明其中之一，或不写（默认为整项措施或本期）。"
)
BOT_REFUSE_UNKNOWN_MEASURE = "没有编号为 {measure} 的措施。"

# digests
BOT_DIGEST_TITLE_UNIT = "📋 <b>{unit}</b> · {date} 工作提醒（{count} 项）"
BOT_DIGEST_TITLE_MONTHLY = "📋 <b>{unit}</b> · {date} 月调度"
BOT_DIGEST_TITLE_LEADER = "📋 <b>{leader}</b> · {date} 逾期督办（{count} 项）"
BOT_DIGEST_PART = "（{part}/{parts}）"
BOT_DIGEST_ITEM = "{light} <b>{measure}</b> {title}{role}"
# A co-operating unit's entry says so, in the annex's word: 〔协办〕, or 〔责任〕 in annexes 3 and 4.
BOT_DIGEST_ROLE = "〔{role}〕"
BOT_DIGEST_UNITS = "   {role}：{units}"  # the annex's word: 主责, or 牵头 in annexes 3 and 4
BOT_DIGEST_UNITS_DONE = "（已完成：{units}）"
BOT_DIGEST_MILESTONE = "   节点：{text}"
# ⛔ marks 受阻 in every view, the digests too: the unit's own report, or for a leader its units'.
BOT_DIGEST_BLOCKED_OWN = "   ⛔ 本单位{day}报告受阻"
BOT_DIGEST_BLOCKED_UNITS = "   ⛔ 受阻：{units}"
# Dates run into the words around them: 9月30日到期, not 9月30日 到期.
BOT_DIGEST_REASONS = {
    "upcoming": "   {due}到期 · 还有 {days} 天",
    "due": "   今天到期（{due}）",
    "overdue": "   {due}到期 · 已逾期 {days} 天",
    "window_start": "   本时段开始，{due}前完成 · 还有 {days} 天",
    "window_end": "   本时段{due}结束，请报送本时段工作总结",
    "checkin": "   请报送本期进展{basis}",
}
BOT_DIGEST_GROUP_DUE_HEAD = "📅 {due}到期 · 还有 {days} 天（{count} 项）"
BOT_DIGEST_GROUP_CHECKIN_HEAD = "📝 请报送本期进展{basis}（{count} 项）"
BOT_DIGEST_GROUP_CONTINUED = "（续）"
BOT_DIGEST_GROUP_ENTRY = "{light}{measure} {title}{role}"
BOT_DIGEST_GROUP_CO = "〔协〕"
BOT_DIGEST_GROUP_DUE = "{due}到期"
BOT_DIGEST_GROUP_CHECKIN = "本期进展"
BOT_DIGEST_GROUP_BUTTON = "逐项填报：{label}（{count} 项）"
BOT_DIGEST_GROUP_LIST = (
    "📋 <b>逐项填报</b>（{unit}，{label}，{count} 项）：点各项下方按钮，"
    "或回复本消息，如 <code>{example}</code>"
)
BOT_DIGEST_GROUP_STALE = "这是以前的提醒按钮，请按今天的提醒报告。"
BOT_DIGEST_GROUP_NOTHING = "这一组事项都已报送，无需再填。"
BOT_DIGEST_OVERDUE_WORKDAYS = "   {due}到期 · 已逾期 {days} 天（其中工作日 {workdays} 天）"
# What in the plan asks for the check-in: 按季度, 第二、三季度每月, 长期实施.
BOT_DIGEST_BASIS = " · {basis}"
BOT_DIGEST_DUE_AHEAD = "   {due}到期（休息日）· 今天是到期前最后一个工作日"
BOT_DIGEST_FOOTER_UNIT = "点下方按钮更新状态，或回复本消息，如：<code>{example}</code>"
BOT_DIGEST_EXAMPLE_ONE = "进行中 60%"
BOT_DIGEST_EXAMPLE_MANY = "{measure} 已完成 情况说明"
BOT_DIGEST_FOOTER_LEADER = "发送 /overdue 查看全部逾期事项，/status 编号 查看详情。"

# errors
BOT_UNKNOWN_COMMAND = "没有这个命令。发送 /help 查看本聊天可用的命令。"
BOT_ERROR = "⚠️ 抱歉，这条消息没有处理成功。请稍后再试；如果反复出现，请联系管理员（错误详情已写入运行日志）。"

# --- section: reminders ---
# Operator text of `python -m bot remind --dry-run` and `python -m bot calendar` (bot/commands/).
# Role labels are the leader views' (LV_ROLE: 主责 / 协办) plus the leader's own.
REMIND_REASONS = {
    "upcoming": "即将到期",
    "due": "到期",
    "overdue": "已逾期",
    "checkin": "进展填报",
    "window_start": "时段开始",
    "window_end": "时段结束",
}
REMIND_ROLE_LEADER = "领导督办"
REMIND_HEADER = "{date} 工作日：{count} 份提醒{overdue}"
REMIND_HEADER_OVERDUE = "，含逾期事项"
REMIND_NONE_DAY_OFF = "{date} 休息日（{why}）：不发提醒"
REMIND_NONE_BEFORE_ISSUE = "{date} 工作日：行动计划 {issued} 印发，此前不发提醒"
REMIND_NONE_NOTHING_DUE = "{date} 工作日：没有需要提醒的事项"
REMIND_RECIPIENT_UNIT = "【{unit}】→ {chats}"
REMIND_RECIPIENT_LEADER = "【领导 {leader}】→ {chats}"
REMIND_CHAT_SENT = "{chat}（已发送）"
REMIND_NO_CHAT = "未绑定聊天，不会发送"
REMIND_ITEM = "  {reason} {measure} {title}〔{role}〕{detail}"
# 截止 or 节点 (LV_ITEM_KIND, as /overdue says it) and the ISO date; a check-in's basis (按季度).
REMIND_ITEM_DUE = " {kind} {due}"
REMIND_ITEM_BASIS = " {basis}"
# The measure's other reminders that day, on the same entry.
REMIND_MONTHLY = "  月调度 {count} 项（均按计划推进 / 逐项填报）：{measures}"
REMIND_ALSO = "      另：{reason}{detail}"

CALENDAR_WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
CALENDAR_WORKDAY = "工作日"
CALENDAR_DAY_OFF = "休息日"
CALENDAR_WHY = {
    "weekday": "",
    "weekend": "周末",
    "holiday": "{holiday}",
    "in_lieu": "{holiday}调休",
    "makeup": "{holiday}调休上班",
}
CALENDAR_UNOFFICIAL = "{year}年无官方安排，按周一至周五"
CALENDAR_LINE = "{date} {weekday} {status}{why}"
CALENDAR_LINE_WHY = "：{why}"
CALENDAR_TOTAL = "共 {days} 天：工作日 {workdays} 天，休息日 {off} 天"

# --- section: leader views ---
# Chat text of /overdue, /upcoming, /status, /summary and /mytasks (bot/render.py fills them in).
# Plain text (no parse mode), so plan and user text needs no escaping here.
LV_ROLE = {"lead": "主责", "co": "协办"}
"""The role words of annexes whose table says 主责单位 / 协办单位; views use the annex's own
(``Plan.role_word``: 牵头 / 责任 in annexes 3 and 4)."""
# One item of a measure, after its ID: 节点 2023-09-30, 进展填报 2023-10.
ITEM_LABEL = " {kind} {item}"
LV_NOT_REPORTED = "未报送"
LV_EVERYTHING = "全部"
LV_SCOPE_SEPARATOR = " · "
LV_ANNEX = "附件{no}"
LV_ANNEX_TITLED = "附件{no} {title}"
# Dates in digests and chat sentences; the view tables keep ISO dates (2023-06-30) so columns line up.
LV_DATE = "{month}月{day}日"
LV_DATE_OTHER_YEAR = "{year}年{month}月{day}日"
LV_PAGE = "（第 {page}/{pages} 页）"
LV_CONTINUED = "（续）"
LV_ITEM_KIND = {"deadline": "截止", "milestone": "节点", "window": "时段", "checkin": "进展填报"}
LV_UNIT_HEADER = "【{unit}】{counts}"
LV_UNIT_COUNTS = "{lead_word} {lead} 项 · {co_word} {co} 项"
LV_ITEM = "{light} {measure} {title}〔{role}〕"
LV_ITEM_DUE = "   {kind} {due}{what} · {when}"
LV_ITEM_WHAT = "：{text}"
LV_ITEM_UNDATED = "   持续推进（{deadline}）"
LV_ITEM_LATEST = "   最新：{status} · 更新于 {updated}"
LV_ITEM_NEVER = "   最新：未报送"
LV_DAYS_OVERDUE = "逾期 {days} 天"
LV_DAYS_OVERDUE_WORKDAYS = "逾期 {days} 天（其中工作日 {workdays} 天）"
LV_DAYS_LEFT = "还有 {days} 天"
LV_DUE_TODAY = "今天到期"

LV_OVERDUE_TITLE = "🔴 逾期事项 · {scope} · {date}"
LV_OVERDUE_TITLE_CLEAR = "逾期事项 · {scope} · {date}"
LV_OVERDUE_COUNTS = "共 {items} 项逾期，涉及 {measures} 条措施、{units} 个单位"
LV_OVERDUE_NONE = "✅ 没有逾期事项。"
# The compact /overdue: each overdue item once, its units summarised by role; /overdue 详细 is the
# long form, unit by unit. A unit's status shows only where it differs from the rest of its role.
LV_OVERDUE_DETAILED_WORD = "详细"
LV_OVERDUE_DETAIL_HINT = "发送 /overdue 详细 查看各单位明细。"
LV_COMPACT_ITEM = "{light} {measure} {title}"
LV_COMPACT_ROLE = "   {role}：{units}"
LV_COMPACT_LISTED = "{units}（{status}）"
LV_COMPACT_GROUP = "{group} {count} 个"
LV_COMPACT_COUNT = "{count} 个单位"
LV_COMPACT_ALL = "{units}均{status}"
LV_COMPACT_EXCEPT = "{units}，除{exceptions}外均{status}"
LV_COMPACT_TALLY = "{units}：{tally}"
LV_COMPACT_TALLY_PART = "{status} {count} 个"
LV_BLOCKED_MARK = "⛔"
LV_UPCOMING_TITLE = "⏰ 近期到期（{days} 天内）· {scope} · {date}"
LV_UPCOMING_COUNTS = "共 {items} 项将到期，涉及 {measures} 条措施、{units} 个单位"
LV_UPCOMING_NONE = "✅ {days} 天内没有到期事项。"
LV_MYTASKS_TITLE = "📋 待办事项 · {scope} · {date}"
LV_MYTASKS_COUNTS = "共 {measures} 条未完成措施，其中 {overdue} 条已逾期"
LV_MYTASKS_NONE = "✅ 没有未完成的事项。"
# /mytasks in chat: ten items a page, most urgent first; the page buttons show the rest.
LV_MYTASKS_RANGE = "第 {first}–{last} 项（共 {total} 项，最紧急的在前）"
LV_MYTASKS_MORE = "后面还有 {left} 项，点“下一页 ▶”查看。"

LV_SUMMARY_TITLE = "📊 进展汇总 · {scope} · {date}"
LV_SUMMARY_LEGEND = (
    "合计与各附件：按措施统计，全部主责单位报已完成才算完成，"
    "有单位报已完成、其余单位尚未报送的记为部分完成。\n"
    "各单位：按本单位的报送统计；措施已完成（主责单位均报已完成）的，协办单位也计为完成。"
)
LV_SUMMARY_TOTAL = "合计（措施数）"
LV_SUMMARY_BY_ANNEX = "各附件（措施数）："
LV_SUMMARY_BY_UNIT = "各单位（本单位的措施数）："
LV_SUMMARY_MEASURE_ROW = (
    "{light} {label}\n"
    "   共 {total} · 完成 {complete} · 部分完成 {partly_done} · 进行中 {in_progress}"
    " · 未开始 {not_started} · ⛔受阻 {blocked} · 逾期 {overdue}"
)
LV_SUMMARY_UNIT_ROW = (
    "{light} {label}\n"
    "   共 {total} · 完成 {complete} · 进行中 {in_progress} · 未开始 {not_started}"
    " · ⛔受阻 {blocked} · 逾期 {overdue}"
)
LV_SUMMARY_NONE = "该范围内没有措施。"
# Standing duties (长期实施) are never complete in the plan year: their own column.
LV_SUMMARY_PERIOD = "\n   长期实施：本期已报送 {reported} · 本期未报送 {missing}"
# The compact /summary: one screen; its buttons open each annex's and every unit's rows in full.
LV_SUMMARY_COMPACT_TOTAL = "{light} 共 {total} 条措施：{counts}"
LV_SUMMARY_COMPACT_ANNEXES = "各附件（措施数）："
LV_SUMMARY_COMPACT_ANNEX = "{light} {label}（{total}）：{counts}"
# 🏢 全部单位明细: each unit on one line, as the annexes are on the compact screen.
LV_SUMMARY_COMPACT_UNIT_ROW = "{light} {label}（{total}）：{counts}"
LV_SUMMARY_COMPACT_PART = "{state} {count}"
LV_SUMMARY_STATE = {
    "complete": "完成",
    "partly_done": "部分完成",
    "in_progress": "进行中",
    "blocked": "⛔受阻",
    "not_started": "未开始",
    "period_reported": "长期实施本期已报送",
    "period_missing": "长期实施本期未报送",
    "overdue": "逾期",
}
LV_SUMMARY_COMPACT_LAGGING = "相对滞后的 {count} 个单位（按办结率、逾期项数排名）："
LV_SUMMARY_COMPACT_UNRANKED = "尚无到期事项，暂不排名。"
LV_SUMMARY_COMPACT_UNIT = "🔻 {unit}：办结率 {rate}（{completed}/{due}）· 逾期 {overdue} 项"
LV_SUMMARY_COMPACT_PLACE = " · 第 {place}/{ranked} 名"
LV_SUMMARY_COMPACT_ONE = "办结情况："
LV_SUMMARY_COMPACT_HINT = "点下方按钮查看各附件、全部单位的明细。"
LV_SUMMARY_BUTTON_ANNEXES = "📑 各附件明细"
LV_SUMMARY_BUTTON_UNITS = "🏢 全部单位明细"
LV_SUMMARY_BUTTON_BACK = "↩ 返回汇总"

LV_STATUS_TITLE = "📌 {measure} {title}"
LV_STATUS_WHERE = "附件{annex} {annex_title} · {section}"
LV_STATUS_TEXT = "工作措施：{text}"
LV_STATUS_DEADLINE = "完成时限：{raw}{due}"
LV_STATUS_DUE = "（{due}）"
LV_STATUS_MILESTONE = "时间节点：{due} {text}"
LV_STATUS_RECURRENCE = "周期要求：{raw}{months}"
LV_STATUS_MONTHS = "（{months}月）"
LV_MONTH_RANGE = "{first}–{last}"
LV_STATUS_LEADERS = "牵头领导：{leaders}"
LV_STATUS_COMPLETE = "整体进展：✅ 已完成"
LV_STATUS_OVERDUE = "整体进展：🔴 未完成，{kind} {due} 已{days}"
LV_STATUS_OPEN = "整体进展：未完成"
LV_STATUS_NEXT = "下一节点：{due} {text}（{when}）"
# 签收: who acknowledged the measure's digest or 督办提醒 (收到, 已阅 …), for whom, and when.
LV_STATUS_ACKS = "签收：{acks}"
LV_STATUS_ACK = "{recipient} {who} {at}"
LV_STATUS_UNITS = "各单位进展："
LV_STATUS_ITEMS = "各事项："
LV_STATUS_ITEM = "{light} {kind} {item}{what} · {when}"
LV_STATUS_ITEM_UNIT = "   【{role}】{unit}：{said}{at}"
LV_ITEM_UNIT_AT = " · {at}"
LV_ITEM_UNIT_DONE = "已完成"
LV_ITEM_UNIT_REPORTED = "本期已报送"
LV_ITEM_COMPLETE = "已完成"
LV_ITEM_SPAN = "{start} 至 {end}"
LV_STATUS_UNIT = "{light} 【{role}】{unit}：{latest}"
LV_STATUS_LATEST = "{status} · {at}"
# Shown after a unit's own status when the measure is complete without its 已完成 (a co unit):
# /summary counts it as complete too.
LV_STATUS_COVERED = "（措施已完成）"
# {how}: the files a report carried (📎 照片 1 份) or how it came (按钮 …), then who sent it.
LV_STATUS_HISTORY = "   · {at} {status}{note}（{how}）"
LV_SOURCE = {
    "button": "按钮",
    "reply": "回复",
    "command": "命令",
    "text": "文字",
    "evidence": "照片或文件",
    "cli": "命令行",
}
LV_EVIDENCE_MARK = "📎 {files}"
LV_EVIDENCE_FILES = "{kind} {count} 份"
LV_EVIDENCE_OTHER = "材料"
LV_STATUS_EVIDENCE = "   📎 佐证材料共 {count} 份（{files}），最近一次 {at}"

LV_USAGE_OVERDUE = "用法：/overdue [详细] [单位|领导|附件N|全部]"
LV_USAGE_UPCOMING = "用法：/upcoming [天数]，如 30、30天、两周（0–366 天），默认 14"
LV_USAGE_STATUS = "用法：/status 措施编号，例如 /status 2-63-1"
LV_USAGE_MYTASKS = "用法：/mytasks [单位|领导|附件N|全部]"
LV_USAGE_SUMMARY = "用法：/summary [单位|领导|附件N|全部]"
LV_USAGE_FIND = "用法：/find 关键词，例如 /find 噪声；也可以 /status 噪声"
LV_FIND_TITLE = "🔎 含“{words}”的措施：{count} 项"
LV_FIND_MORE = "（只列出前 {shown} 项，多写几个字可以缩小范围）"
LV_FIND_ROW = "{measure} {title}：{text}"
LV_FIND_BUTTON = "{measure} {title}"
LV_FIND_PRESS = "点下方按钮查看详情。"
LV_FIND_NONE = "没有找到含“{words}”的措施。可换个说法，或发送 /status 措施编号。"
LV_UNKNOWN_SCOPE = "未找到“{text}”：请发送单位名称、领导姓名、附件N 或 全部。"
LV_UNKNOWN_MEASURE = "没有编号为 {text} 的措施。措施编号的格式是“附件-序号-条目”，例如 2-63-1。"
LV_SAME_TASK = "附件{annex}序号{task}下的措施：{ids}"
LV_REFUSED_UNBOUND = (
    "本聊天尚未绑定单位或领导，无法查看。单位联系人请向管理员索取邀请码，然后发送 /bind 邀请码。"
)
LV_REFUSED_OUTSIDE = "本聊天只能查看 {allowed} 的事项。"
LV_BUTTON_PREV = "◀ 上一页"
LV_BUTTON_NEXT = "下一页 ▶"
LV_BUTTON_PAGE = "{page}/{pages}"
LV_BUTTON_STALE = "该按钮已失效，请重新发送命令。"
LV_BUTTON_NO_PAGE = "该页已不存在（现共 {pages} 页），请重新发送命令。"


# --- supervision loop (督办流程, issue 10) ---
SV_ALL_UNITS = "全部单位"
SV_ADMIN = "管理员"
SV_STATUS_SECTION = "督办记录"
SV_STATUS_EXTENDED = "{unit}：延期至 {to}（原定 {original}，{by} {day} 同意）"
SV_STATUS_REJECTED = "{unit}：申请延期至 {to}，{by} {day} 不同意（{reason}）"
SV_STATUS_REQUESTED = "{unit}：{day} 申请延期至 {to}（{reason}），待审批"
SV_STATUS_REVIEW = {
    "pending": "{unit}：{day} 报已完成，待审核",
    "accepted": "{unit}：{day} 报已完成，{by} 审核通过",
    "returned": "{unit}：{day} 报已完成，{by} 退回（{reason}）",
}
SV_STATUS_MONTHLY = "{unit}：{day} 月调度，尚未确认"
SV_STATUS_MONTHLY_ANSWERED = "{unit}：{day} 月调度，{by} {answered} 确认均按计划推进"
SV_STATUS_CHASED = "{unit}：{day} {by} 催办（{item}）"
# --- section: reports ---
# The 督办台账 workbook, the Word 通报, the chart and the monthly 通报 text (bot/reports.py,
# bot/workbook.py, bot/worddoc.py, bot/chart.py, handlers/reports.py). Plain text, no HTML.
RPT_FILENAME = "督办台账-{day}.{suffix}"
RPT_CHART_FILENAME = "完成情况-{day}.png"
RPT_TITLE = "{plan}　督办台账"
RPT_AS_OF = "截至 {day}　范围：{scope}"
RPT_NOT_REPORTED = "未报告"
RPT_NO_RATE = "—"
RPT_ITEM_KINDS = {"deadline": "截止", "milestone": "节点", "window": "时段", "checkin": "定期报送"}
RPT_PAIR = "{measure} {unit}"
RPT_AND_MORE = " 等 {count} 项"
RPT_SCORE = "{unit}（办结率 {rate}，逾期 {overdue} 项）"

RPT_SHEET_SUMMARY = "汇总"
RPT_SHEET_OVERDUE = "逾期"
RPT_SHEET_LEDGER = "台账"
RPT_SHEET_RANKING = "通报"

RPT_SUMMARY_HEADERS = [
    "范围",
    "措施数",
    "已完成",
    "部分完成",
    "进行中",
    "未开始",
    "受阻",
    "本期已报送",
    "本期未报送",
    "逾期",
    "完成率",
    "状态",
]
RPT_SUMMARY_TOTAL_SECTION = "合计与各附件（按措施计）"
RPT_SUMMARY_UNIT_SECTION = "各单位（按本单位报告计）"
RPT_SUMMARY_CHART = "各附件完成情况"
RPT_SUMMARY_CHART_Y = "措施数"
RPT_OVERDUE_HEADERS = [
    "编号",
    "重点任务",
    "事项",
    "事项内容",
    "到期日",
    "逾期天数",
    "逾期工作日",
    "单位",
    "角色",
    "牵头领导",
    "最新状态",
    "进度",
    "说明",
    "更新时间",
]
RPT_LEDGER_HEADERS = [
    "编号",
    "附件",
    "重点任务",
    "措施内容",
    "完成时限",
    "单位",
    "角色",
    "牵头领导",
    "最新状态",
    "进度",
    "说明",
    "更新时间",
    "佐证材料数",
    "延期",
    "办结审核",
    "状态",
]
RPT_EXTENSION = {
    "approved": "延期至 {to}（原定 {original}，{by} 同意）",
    "pending": "申请延期至 {to}（原定 {original}），申请中",
    "rejected": "申请延期至 {to}（原定 {original}），{by} 不同意",
}
RPT_REVIEW = {
    "pending": "{day} 报已完成，待审核",
    "accepted": "{day} 报已完成，{by} 审核通过",
    "returned": "{day} 报已完成，{by} 退回（{reason}）",
}
RPT_RECORD_SEPARATOR = "；"
RPT_RANKING_HEADERS = [
    "名次",
    "单位",
    "到期事项",
    "已办结",
    "按期完成",
    "逾期项数",
    "办结率",
    "按期完成率",
    "按时报送率",
]
RPT_RANKING_NOTE = (
    "说明：办结率 = 已办结事项 ÷ 截至当日已到期事项（截止日和节点）；"
    "按期完成率 = 在到期日前报告已完成的事项 ÷ 已到期事项；"
    "逾期项数 = 逾期表中该单位的行数；"
    "按时报送率 = 按时答复月调度的月份 ÷ 收到月调度的月份"
    "（每月第一个工作日发出，当月第五个工作日前（含）所列事项均有报告为按时；"
    "尚未答复且未到答复期限的月份不计，未收到月调度的单位记为“—”）。"
    "排序：办结率、按期完成率从高到低，逾期项数从少到多，按时报送率从高到低，相同时按单位名称。"
    "尚无到期事项的单位列在最后，不排名次。"
)
RPT_LIGHT_WORDS = {"🟢": "正常", "🟡": "关注", "🔴": "逾期"}

RPT_DOC_TITLE = "{plan}推进情况通报"
RPT_DOC_DATE = "（截至 {day}）"
RPT_DOC_TOTALS = (
    "截至 {today}，{scope}共有措施 {total} 项，其中已完成 {complete} 项，推进中 {in_progress} 项，"
    "未开始 {not_started} 项，受阻 {blocked} 项。"
)
RPT_DOC_OVERDUE = "逾期未完成的事项 {items} 项，涉及 {units} 个单位，共 {rows} 条（见逾期事项表）。"
RPT_DOC_RANKING = "按办结率等指标排名，靠前的单位：{best}；相对滞后的单位：{lagging}。"
RPT_DOC_RANKING_HEADING = "一、各单位排名"
RPT_DOC_OVERDUE_HEADING = "二、逾期事项"
RPT_DOC_OVERDUE_HEADERS = ["编号", "重点任务", "事项", "到期日", "逾期天数", "单位", "角色", "最新状态"]

RPT_CHART_TITLE = "各附件完成率（截至 {day}）"
RPT_CHART_LAGGING = "办结率靠后的单位"
RPT_CHART_RATE = "完成率 %"
RPT_CHART_NONE = "暂无排名"
RPT_CHART_BAR = "{rate:.0f}%，逾期 {overdue} 项"

RPT_BULLETIN = (
    "📋 {year}年{month}月 推进情况通报（截至 {today}，{scope}）\n"
    "措施 {total} 项，已完成 {complete} 项，有逾期事项的 {overdue} 项。\n"
    "✅ 上月报告完成 {completions} 项：{completions_list}\n"
    "⏰ 上月新增逾期 {newly} 项：{newly_list}\n"
    "⛔ 受阻 {blocked} 项：{blocked_list}\n"
    "🏅 排名靠前：{best}\n"
    "⚠️ 相对滞后：{lagging}\n"
    "详见所附督办台账。"
)
RPT_USAGE_EXPORT = "用法：/export [单位|领导|附件N|全部]"
RPT_USAGE_CHART = "用法：/chart [单位|领导|附件N|全部]"
RPT_EXPORT_CAPTION = "督办台账（截至 {day}，{scope}）"
RPT_CHART_CAPTION = "各附件完成率和办结率靠后的单位（截至 {day}，{scope}）"
RPT_EXPORT_FAILED = "生成报表时出错，请稍后再试或联系管理员。"
SV_WHOLE_MEASURE = "整项措施"
SV_EXTEND_USAGE = "用法：/extend 编号 [事项] 新日期 理由，例如 /extend 2-63-1 7-31 等待专家评审意见"
SV_EXTEND_NEED_DATE = (
    "请写明新的完成日期（须晚于 {due}）和理由，例如：/extend {measure} 7-31 等待专家评审意见"
)
SV_EXTEND_ASK = (
    "📝 {unit} 申请延期 {measure}（事项 {item}，现行完成日期 {due}）：请回复本消息，写明新的完成日期和理由，"
    "例如：7-31 等待专家评审意见"
)
SV_EXTEND_ASK_PATTERN = r"(?P<unit>\S+) 申请延期 (?P<measure>\d+-\d+-\d+)（事项 (?P<item>[0-9-]+)，"
SV_EXTEND_NOT_UNIT = "只有 {unit} 的工作群可以为该单位申请延期。"
SV_BTN_EXTEND = "⏳ 申请延期"
SV_EXTEND_NEED_REASON = "请写明延期理由，例如：/extend {measure} 7-31 等待专家评审意见"
SV_EXTEND_SENT = "📝 已提交延期申请 #{id}：{measure}（{item}）{unit} 由 {original} 延至 {to}，等待领导审批。"
SV_EXTEND_CARD = (
    "📝 <b>延期申请 #{id}</b>\n{measure} {title}\n{unit} 申请将事项 {item} 由 {original} 延至 {to}\n"
    "理由：{reason}\n申请人：{who}"
)
SV_EXTEND_APPROVED = (
    "✅ 延期申请 #{id} 已同意：{measure}（{item}）{unit} 延至 {to}（原定 {original}，{by} {day} 同意）。"
)
SV_EXTEND_REJECTED = (
    "❌ 延期申请 #{id} 未获同意：{measure}（{item}）仍按 {original} 完成。理由：{why}（{by} {day}）"
)
SV_BTN_APPROVE = "同意"
SV_BTN_REJECT = "不同意"
SV_BTN_ACCEPT = "通过"
SV_BTN_RETURN = "退回"
SV_BTN_STATUS = "查看详情 /status"
SV_KIND_WORDS = {"extension": "延期申请", "review": "办结审核"}
SV_ASK_REASON = "请回复本消息，写明{kind} #{id} 不同意或退回的理由。"
SV_ASK_REASON_PATTERN = r"写明(?P<kind>延期申请|办结审核) #(?P<id>[0-9]+) 不同意或退回的理由"
SV_DECIDED_NO = "已记录：延期申请 #{id} 不同意，已通知申请单位。"
SV_RETURNED_NO = "已记录：办结审核 #{id} 退回，已通知报送单位。"
SV_CARD_DECIDED = "—— {by} 已{what}"
SV_DONE = "已记录"
SV_NEED_REASON = "请写明理由。"
SV_NOT_LATER = "新的完成日期须晚于现行完成日期 {due}。"
SV_UNKNOWN_ITEM = "{measure} 没有事项“{item}”。该措施的事项：{items}"
SV_NO_OPEN_ITEM = "{measure} 本单位没有未完成的到期事项，无需延期。"
SV_ALREADY_DECIDED = "该事项已处理（{state}）。"
SV_STATE_WORDS = {
    "approved": "已同意",
    "rejected": "不同意",
    "accepted": "已通过",
    "returned": "已退回",
}
SV_NOT_TIMED = "{measure} 的完成时限是“{raw}”，只有“按时间节点完成”的措施可以设定时间节点。"
SV_NO_OPEN_GROUP = "{measure} 没有待指定成员的单位组（如“各相关单位”）。"
SV_UNKNOWN_UNITS = "未识别的单位：{names}。请写单位全称或简称。"
SV_BUTTON_INVALID = "这个按钮无效或已过期。"
SV_NOT_DECIDER = "只有管理员和该措施的牵头领导可以审批。"
SV_NOT_CHASER = "只有领导群和管理员可以催办。"
SV_REVIEW_CARD = (
    "🔎 <b>办结审核 #{id}</b>\n{measure} {title}\n{unit} {day} 报送已完成（事项：{item}）\n说明：{note}"
)
SV_REVIEW_ACCEPTED = "✅ 办结审核 #{id} 已通过：{measure}（{item}）按 {day} 办结（{by}）。"
SV_REVIEW_RETURNED = (
    "↩️ 办结审核 #{id} 被退回：{measure}（{item}）。理由：{why}（{by}）。请继续推进，完成后再次报送。"
)
SV_BLOCKED = "⛔ <b>受阻</b> {measure} {title}\n{unit}：{note}"
SV_BTN_CHASE = "催办 {unit}"
SV_BTN_CHASED = "✓ 今日已催办 {unit}"
SV_CHASE_MESSAGE = (
    "📣 <b>督办提醒</b>（{who} 催办）\n{unit} 以下事项已逾期：\n{items}\n"
    "请回复本消息报告进展，例如：2-63-1 已完成 / 进行中 60% / 受阻 原因。"
)
SV_CHASE_LINE = "· {measure} {title}（原定 {due}，逾期 {days} 天）"
SV_CHASE_SENT = "已向 {unit} 发送督办提醒（{chats} 个群）。"
SV_CHASE_ALREADY = "{unit} 今天已催办过，未重复发送。"
SV_CHASE_NOTHING = "{unit} 目前没有逾期事项。"
SV_BTN_CHASE_ITEM = "催办 {measure}（{count} 个单位）"
SV_BTN_CHASED_ITEM = "✓ 今日已催办 {measure}"
SV_CHASE_ITEM_SENT = "已就 {measure} 向 {units} 个单位发送督办提醒（{chats} 个群）。"
SV_CHASE_ITEM_ALREADY = "{measure} 的逾期单位今天都已催办过，未重复发送。"
SV_CHASE_ITEM_NOTHING = "{measure} 目前没有逾期的单位。"
SV_CHASE_STALE = "这是以前的催办按钮，请重新发送 /overdue。"
SV_SETDUE_USAGE = "用法：/setdue 编号 日期 [说明]，例如 /setdue 2-10-1 9-30 完成充电设施建设"
SV_SETDUE_DONE = "✅ {measure} 增加时间节点 {due} {note}，将按此提醒和统计逾期。"
SV_ASSIGN_USAGE = "用法：/assign 编号 单位…，例如 /assign 5-1-1 区生态环境局 区水务局"
SV_ASSIGN_DONE = "✅ {measure} 的“{group}”指定为：{units}（现有 {count} 个责任单位）。"
SV_CHASE_OFFER = "催办：点单位名称，向该单位群发送督办提醒（每单位每事项每天一次）。"
SV_CHASE_NONE = "目前没有逾期的单位，无需催办。"
# 月调度 (issue 10, part 6): the digest section, its two buttons and their answers.
SV_MONTHLY_HEAD = "🗓 <b>月调度</b>：以下 {count} 项近 30 天未报送进展，请确认本月进展"
SV_MONTHLY_ENTRY = "{measure} {title}"
SV_MONTHLY_SEPARATOR = "；"
SV_MONTHLY_HINT = "都在按计划推进的，点“均按计划推进”一次确认；否则点“逐项填报”。"
SV_BTN_MONTHLY_ALL = "均按计划推进"
SV_BTN_MONTHLY_EACH = "逐项填报"
SV_MONTHLY_NOTE = "月调度：均按计划推进"
SV_MONTHLY_DONE = "✅ <b>月调度</b>已确认（{who} {time}）：以下 {count} 项记为进行中：{items}"
SV_MONTHLY_KEPT = "以下 {count} 项本月已报送，未改动：{items}"
SV_MONTHLY_ALERT = "已记录 {count} 项为进行中。"
SV_MONTHLY_ALREADY = "本月的月调度已由 {who} 于 {time} 确认，无需再点。"
SV_MONTHLY_EXPIRED = "这是 {month} 的月调度按钮，已过期；请按本月的提醒报告。"
SV_MONTHLY_NOT_UNIT = "只有 {unit} 的工作群可以回复该单位的月调度。"
SV_MONTHLY_NOTHING = "月调度所列事项都已报送，无需再填。"
SV_MONTHLY_EACH = (
    "🗓 <b>月调度 · 逐项填报</b>（{unit}，{count} 项）：点各项下方按钮，"
    "或回复本消息，如 <code>{example}</code>"
)
