"""Every user-facing Chinese string of the bot, in one place so wording is easy to review.

Sections are marked ``# --- section: NAME ---``; each feature edits only its own section.
Templates use ``str.format`` fields; values that came from users are HTML-escaped by the caller.
"""

# --- section: common ---
STATUS_LIGHT_ON_TRACK = "🟢"
STATUS_LIGHT_WARNING = "🟡"
STATUS_LIGHT_OVERDUE = "🔴"

# --- section: bot ---

# --- section: reminders ---

# --- section: leader views ---
