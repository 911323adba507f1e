"""Numbers as people type them: ASCII or full-width digits, or Chinese numerals (二, 十五, 两, 一百).

Pure. Used wherever a number stands in what a person writes: a percent (百分之五十, 五成), a number
of days (30天, 两周), an annex (附件二).
"""

from __future__ import annotations

import re
import unicodedata

_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_UNITS = {"十": 10, "百": 100}
CHINESE_NUMERAL = "[零〇一二两三四五六七八九十百]+"
"""A run of Chinese numeral characters (a regex fragment); ``chinese_number`` says what it is worth."""
_NUMBER = re.compile(rf"\d+|{CHINESE_NUMERAL}")
# 30天, 两周, 3 周, 一个月: the unit a number of days may carry.
_DAYS = re.compile(rf"(\d+|{CHINESE_NUMERAL})\s*(天|日|周|星期|个星期|礼拜|个礼拜|个月|月)?")
_DAYS_PER_UNIT = {"周": 7, "星期": 7, "个星期": 7, "礼拜": 7, "个礼拜": 7, "个月": 30, "月": 30}


def chinese_number(text: str) -> int | None:
    """The value of a Chinese numeral below 1000 (五 5, 十五 15, 二十 20, 一百零五 105, 两百 200), else None.

    Digit by digit (二〇二三) is read too, as people write years and codes that way.
    """
    if not text or any(char not in _DIGITS and char not in _UNITS for char in text):
        return None
    if not any(char in _UNITS for char in text):
        value = 0
        for char in text:
            value = value * 10 + _DIGITS[char]
        return value
    total, digit = 0, None
    for char in text:
        if char in _DIGITS:
            if digit is not None and _DIGITS[char] != 0:
                return None  # two digits in a row (二三十): not a number people write
            digit = _DIGITS[char] or None  # 零 only holds a place: 一百零五
        else:
            unit = _UNITS[char]
            total += (digit if digit is not None else 1) * unit
            digit = None
    return total + (digit or 0)


def number(text: str) -> int | None:
    """A whole number written in digits (full-width too) or Chinese numerals; None for anything else."""
    text = unicodedata.normalize("NFKC", text).strip()
    if _NUMBER.fullmatch(text) is None:
        return None
    return int(text) if text.isdigit() else chinese_number(text)


def days(text: str) -> int | None:
    """A number of days as people write it: 30, 30天, 三十天, 两周, 2周, 一个月 (30 days); else None."""
    found = _DAYS.fullmatch(unicodedata.normalize("NFKC", text).strip())
    if found is None:
        return None
    count = number(found.group(1))
    if count is None:
        return None
    return count * _DAYS_PER_UNIT.get(found.group(2) or "天", 1)
