"""Recognising what around the policy text is not policy: web-page chrome at the top
(site name, breadcrumb, 发布时间/来源, 核心提示), and the trailer at the bottom (signature
block, 主题词 keywords line, printing line), and reading the document's metadata from them.

Dates are normalized to ISO 8601 with only the precision the text gives:
``2011年6月`` → ``2011-06``, ``2011年6月24日`` → ``2011-06-24``,
``2015/6/10 10:13:56`` → ``2015-06-10T10:13:56``.
"""
from __future__ import annotations

import re

from policykg.loader.numbering import CN_NUMERAL, to_int

SPACES = " \t\u00a0\u3000"
_DATE = rf"(?P<y>[0-9]{{4}}|[零〇○一二三四五六七八九]{{4}})\s*年\s*(?P<m>[0-9]{{1,2}}|{CN_NUMERAL})\s*月(?:\s*(?P<d>[0-9]{{1,2}}|{CN_NUMERAL})\s*日)?"
DATE_RE = re.compile(_DATE)
DATE_LINE_RE = re.compile(rf"^[（(]?{_DATE}[）)]?$")
WEB_DATETIME_RE = re.compile(
    r"(?P<y>\d{4})[/\-.年](?P<m>\d{1,2})[/\-.月](?P<d>\d{1,2})日?"
    r"(?:[ T\u00a0]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?)?")
KEYWORDS_RE = re.compile(rf"^(?:主题词|主題詞|关键词|关键字)[{SPACES}]*[:：][{SPACES}]*(?P<words>.+)$")
IMPRINT_RE = re.compile(rf"^(?P<printer>.*?)[{SPACES}]*(?P<date>{_DATE})[{SPACES}]*(?:印发|印製|印制|发)$")
COPY_TO_RE = re.compile(r"^(?:抄送|抄报|分送)[:：]")
# Lines of a web page that frame the document rather than belong to it.
CHROME_META_RE = re.compile(
    r"^(?:发布时间|发布日期|发文时间|时间|来源|信息来源|作者|编辑|浏览次数|点击数|阅读次数|"
    r"核心提示|字号|字体|打印|关闭|分享到|【)")
# Web-page footer lines after the document (print/close buttons, copyright, navigation).
FOOTER_RE = re.compile(r"^(?:[【\[]?(?:打印本页|打印|关闭窗口|关闭|返回顶部|收藏|分享)[】\]]?\s*)+$|"
                       r"^(?:版权所有|Copyright|上一篇|下一篇|相关链接|相关文章|责任编辑|网站地图)", re.I)
BREADCRUMB_RE = re.compile(r"(?:首页|当前位置|您的位置).*[>＞»]|[>＞»].*[>＞»]")

# Document types, matched at the end of the title (longest first wins).
DOC_TYPES = ("实施意见", "指导意见", "若干意见", "意见", "通知", "决定", "决议", "办法", "规定", "条例",
             "细则", "方案", "规划", "纲要", "指示", "公告", "通告", "通报", "报告", "请示", "批复",
             "纪要", "规则", "章程", "准则", "制度", "函")
_BASE_TYPE = {"实施意见": "意见", "指导意见": "意见", "若干意见": "意见"}


def iso_date(match: re.Match) -> str:
    """``2011年6月`` → ``2011-06``; with a day → ``2011-06-24`` (no day is ever invented)."""
    year, month, day = match.group("y"), match.group("m"), match.group("d")
    value = f"{to_int(year):04d}-{to_int(month):02d}"
    return f"{value}-{to_int(day):02d}" if day else value


def web_datetime(text: str) -> str | None:
    m = WEB_DATETIME_RE.search(text)
    if not m:
        return None
    value = f"{int(m['y']):04d}-{int(m['m']):02d}-{int(m['d']):02d}"
    if m["H"]:
        value += f"T{int(m['H']):02d}:{m['M']}:{m['S'] or '00'}"
    return value


def doc_type(title: str | None) -> str | None:
    """The kind of document named by the end of its title: …的意见 → 意见."""
    if not title:
        return None
    stripped = title.rstrip("（）()〔〕[]0-9一二三四五六七八九十稿试行暂行 ")
    for kind in DOC_TYPES:
        if stripped.endswith(kind):
            return _BASE_TYPE.get(kind, kind)
    return None


def split_keywords(words: str) -> list[str]:
    return [w for w in re.split(rf"[{SPACES}、,，;；]+", words.strip()) if w]


def is_chrome(line: str) -> bool:
    return bool(CHROME_META_RE.match(line) or BREADCRUMB_RE.search(line))


def chrome_fields(line: str) -> dict[str, str]:
    """Publisher and publication time from a chrome line such as ``发布时间:2015/6/10 10:13:56 来源:X``."""
    found = {}
    m = re.search(r"(?:发布时间|发布日期|发文时间|时间)[:：]\s*(?P<v>[^\s\u00a0]+(?:[ \u00a0]+\d{1,2}:\d{2}(?::\d{2})?)?)", line)
    if m and web_datetime(m["v"]):
        found["publication_datetime"] = web_datetime(m["v"])
    m = re.search(r"(?:信息来源|来源)[:：]\s*(?P<v>[^\s\u00a0]+)", line)
    if m:
        found["publisher"] = m["v"]
    return found
