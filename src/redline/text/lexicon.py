"""Word lists that text.significance grades changes with: negators, modals, names, set phrases,
dates and figures, spelling fixes.

Pure data and finders over it, no I/O. English lists are matched on whole words
(lower case, see significance), Chinese ones on characters with an exclusion list of
common compounds where a negator or modal character means something else (非洲 Africa,
无论 regardless, 不断 continually, 社会 society, 重要 important...).
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from redline.text.diff import CJK_RANGES

__all__ = ["EN_NEGATORS", "EN_MODALS", "EN_MODAL_PHRASES", "ZH_NEGATORS", "ZH_MODALS", "ZH_NOT_NEGATION",
           "ZH_NOT_MODAL", "MONTHS", "EN_NUMBER_WORDS", "ENTITIES", "FORMULATIONS_EN", "FORMULATIONS_ZH",
           "ZH_CONFUSABLE", "zh_negators", "zh_modals", "entities", "formulations", "negations", "modals",
           "figures", "spelling_fix", "title_case"]

# --------------------------------------------------------------------------- negation

EN_NEGATORS = frozenset({"not", "no", "never", "without", "nor", "neither", "none", "cannot", "nobody",
                         "nothing", "nowhere", "noone", "non"})
ZH_NEGATORS = ("绝不", "决不", "并非", "并不", "从不", "从未", "毫无", "没有", "不", "没", "无", "非", "未",
               "勿", "别", "否", "莫")
# compounds in which a negator character does not negate (or makes a positive idiom)
ZH_NOT_NEGATION = ("非洲", "非常", "无论", "无疑", "无线", "无人机", "不断", "不仅", "不但", "不同", "不少",
                   "不久", "不过", "不管", "不论", "不得不", "不可或缺", "不懈", "不移", "不渝", "不可分割",
                   "密不可分", "坚定不移", "义无反顾", "毫无疑问", "未来", "是否", "否则", "与否", "能否",
                   "可否", "特别", "分别", "个别", "区别", "类别", "级别", "别国", "别人", "告别", "识别",
                   "差别", "莫斯科", "不停", "前所未有", "无可替代", "无与伦比", "并无二致")

# --------------------------------------------------------------------------- modality

# English modals by what they commit to; contracted forms ("won't") are resolved in significance.
EN_MODALS = frozenset({"shall", "must", "should", "will", "would", "may", "might", "can", "could",
                       "ought"})
# commitment phrases on lower-case words: "stands ready to", "is also willing to", "has to" -> an id
EN_MODAL_PHRASES = re.compile(
    r"(?<![a-z])(?:(?:stands?|is|are|remains?|was|were|be|been)\s(?:[a-z]+ly\s|also\s|still\s|always\s)?"
    r"(?P<be>ready|willing|committed|determined|prepared|obliged|able|expected)"
    r"|(?P<verb>intends?|hopes?|aims?|has|have|commits?|pledges?|undertakes?))\sto(?![a-z])")
# "will" after these words is a noun ("political will"), "May" before a number a month.
EN_WILL_NOUN_AFTER = frozenset({"political", "good", "the", "free", "own", "ill", "strong", "goodwill"})

ZH_MODALS = ("应当", "应该", "必须", "务必", "必将", "将会", "能够", "可以", "可能", "愿意", "需要", "一定",
             "致力于", "承诺", "有望", "不得不", "应", "须", "需", "将", "要", "可", "愿", "能", "会")
# compounds in which a modal character is no modal (会议 meeting, 社会 society, 重要 important...)
ZH_NOT_MODAL = ("会议", "会谈", "会晤", "会见", "会面", "峰会", "大会", "社会", "机会", "委员会", "理事会",
                "协会", "学会", "国会", "议会", "联合会", "会员", "会场", "开会", "年会", "会上",
                "重要", "主要", "要求", "要素", "纪要", "要点", "首要", "必要", "提要", "摘要", "要害", "需求", "必需", "只要", "可是", "不可或缺", "密不可分", "不可分割", "可持续", "认可", "许可", "可靠", "可信", "可控", "可喜", "可观",
                "能源", "能力", "功能", "技能", "效能", "智能", "职能", "潜能", "性能", "动能", "赋能",
                "应对", "反应", "相应", "供应", "效应", "适应", "响应", "回应", "应用", "应邀", "对应",
                "呼应", "照应", "愿景", "心愿", "意愿", "志愿", "将军", "须知", "将近")

# --------------------------------------------------------------------------- numbers and dates

MONTHS = frozenset({"January", "February", "March", "April", "May", "June", "July", "August", "September",
                    "October", "November", "December", "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug",
                    "Sep", "Sept", "Oct", "Nov", "Dec"})
EN_NUMBER_WORDS = frozenset({"two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                             "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
                             "eighteen", "nineteen", "twenty", "thirty", "forty", "fifty", "sixty",
                             "seventy", "eighty", "ninety", "hundred", "thousand", "million", "billion",
                             "trillion", "dozen", "dozens", "hundreds", "thousands", "millions", "billions"})

# --------------------------------------------------------------------------- names

# canonical name -> aliases: English ones matched case-sensitively on word boundaries, Chinese as is.
ENTITIES: dict[str, tuple[str, ...]] = {
    "China": ("China", "People's Republic of China", "PRC", "Beijing", "中国", "中华人民共和国", "中方", "北京"),
    "United States": ("United States of America", "United States", "U.S.", "US", "USA", "Washington",
                      "美国", "美方", "美利坚合众国", "华盛顿"),
    "Russia": ("Russian Federation", "Russia", "Moscow", "俄罗斯联邦", "俄罗斯", "俄方", "俄", "莫斯科"),
    "United Nations": ("United Nations", "UN", "联合国"),
    "UN Security Council": ("Security Council", "UNSC", "安理会", "安全理事会"),
    "UN General Assembly": ("General Assembly", "UNGA", "联大", "联合国大会"),
    "ASEAN": ("ASEAN", "Association of Southeast Asian Nations", "东盟", "东南亚国家联盟"),
    "BRICS": ("BRICS", "金砖国家", "金砖"),
    "SCO": ("Shanghai Cooperation Organisation", "Shanghai Cooperation Organization", "SCO", "上海合作组织", "上合组织"),
    "G20": ("G20", "Group of Twenty", "二十国集团"),
    "G7": ("G7", "Group of Seven", "七国集团"),
    "EU": ("European Union", "EU", "欧盟", "欧洲联盟", "欧方"),
    "Japan": ("Japan", "Tokyo", "日本", "日方", "东京"),
    "United Kingdom": ("United Kingdom", "UK", "Britain", "Great Britain", "英国", "英方"),
    "India": ("India", "New Delhi", "印度", "印方"),
    "Pakistan": ("Pakistan", "巴基斯坦"),
    "Philippines": ("Philippines", "菲律宾", "菲方"),
    "Viet Nam": ("Viet Nam", "Vietnam", "越南"),
    "Indonesia": ("Indonesia", "印度尼西亚", "印尼"),
    "Malaysia": ("Malaysia", "马来西亚"),
    "Singapore": ("Singapore", "新加坡"),
    "Thailand": ("Thailand", "泰国"),
    "Korea": ("Republic of Korea", "South Korea", "ROK", "韩国", "韩方"),
    "DPRK": ("DPRK", "North Korea", "朝鲜"),
    "Australia": ("Australia", "澳大利亚", "澳方"),
    "Canada": ("Canada", "加拿大"),
    "France": ("France", "法国", "法方"),
    "Germany": ("Germany", "德国", "德方"),
    "Brazil": ("Brazil", "巴西"),
    "South Africa": ("South Africa", "南非"),
    "Iran": ("Iran", "伊朗"),
    "Ukraine": ("Ukraine", "乌克兰"),
    "Israel": ("Israel", "以色列"),
    "Palestine": ("Palestine", "巴勒斯坦"),
    "Africa": ("Africa", "African Union", "AU", "非洲", "非盟"),
    "Taiwan": ("Taiwan", "台湾", "台湾地区"),
    "Hong Kong": ("Hong Kong", "HKSAR", "香港", "香港特区"),
    "Macao": ("Macao", "Macau", "澳门"),
    "Xinjiang": ("Xinjiang", "新疆"),
    "Tibet": ("Tibet", "Xizang", "西藏"),
    "South China Sea": ("South China Sea", "南海"),
    "NATO": ("NATO", "North Atlantic Treaty Organization", "北约", "北大西洋公约组织"),
    "ITU": ("ITU", "International Telecommunication Union", "国际电信联盟", "国际电联"),
    "WTO": ("WTO", "World Trade Organization", "世界贸易组织", "世贸组织"),
    "WHO": ("WHO", "World Health Organization", "世界卫生组织", "世卫组织"),
    "ICANN": ("ICANN", "互联网名称与数字地址分配机构"),
    "WSIS": ("WSIS", "World Summit on the Information Society", "信息社会世界峰会"),
    "IGF": ("IGF", "Internet Governance Forum", "互联网治理论坛"),
    "GGE": ("GGE", "Group of Governmental Experts", "政府专家组"),
    "OEWG": ("OEWG", "Open-ended Working Group", "Open-Ended Working Group", "开放式工作组", "开放式工作组"),
    "Budapest Convention": ("Budapest Convention", "Convention on Cybercrime", "布达佩斯公约", "网络犯罪公约"),
    "UN Charter": ("Charter of the United Nations", "UN Charter", "联合国宪章"),
    "Global Data Security Initiative": ("Global Data Security Initiative", "全球数据安全倡议"),
    "Global Security Initiative": ("Global Security Initiative", "全球安全倡议"),
    "Global Development Initiative": ("Global Development Initiative", "全球发展倡议"),
    "Belt and Road": ("Belt and Road Initiative", "Belt and Road", "BRI", "一带一路"),
    "World Internet Conference": ("World Internet Conference", "WIC", "世界互联网大会"),
    "Xi Jinping": ("Xi Jinping", "President Xi", "习近平"),
    "Li Qiang": ("Li Qiang", "李强"),
    "Wang Yi": ("Wang Yi", "王毅"),
    "Qin Gang": ("Qin Gang", "秦刚"),
    "Hua Chunying": ("Hua Chunying", "华春莹"),
    "Wang Wenbin": ("Wang Wenbin", "汪文斌"),
    "Zhao Lijian": ("Zhao Lijian", "赵立坚"),
    "Mao Ning": ("Mao Ning", "毛宁"),
    "Lin Jian": ("Lin Jian", "林剑"),
    "Antonio Guterres": ("Antonio Guterres", "Guterres", "古特雷斯"),
    "Communist Party of China": ("Communist Party of China", "CPC", "中国共产党", "中共"),
    "Ministry of Foreign Affairs": ("Ministry of Foreign Affairs", "Foreign Ministry", "MFA", "外交部"),
    "Cyberspace Administration of China": ("Cyberspace Administration of China", "CAC", "国家互联网信息办公室",
                                           "网信办"),
}

# --------------------------------------------------------------------------- set phrases

# Stock diplomatic formulations; English ones are matched on lower-case words joined by spaces.
FORMULATIONS_EN = ("one china principle", "one china policy", "peaceful reunification", "core interests",
                   "internal affairs", "territorial integrity", "sovereignty", "cyber sovereignty",
                   "non interference", "community with a shared future",
                   "community of a shared future", "win win cooperation", "mutual respect", "red line",
                   "cold war mentality", "zero sum", "bloc confrontation", "hegemony", "hegemonism",
                   "unilateralism", "multilateralism", "three joint communiques", "firmly opposes",
                   "firmly oppose", "strongly condemns", "strongly condemn", "stern representations",
                   "strong dissatisfaction", "taiwan independence", "separatist", "peaceful development",
                   "peaceful secure open and cooperative", "mutual trust", "strategic partnership",
                   "comprehensive strategic", "double standards", "long arm jurisdiction")
FORMULATIONS_ZH = ("一个中国原则", "一个中国政策", "一中原则", "和平统一", "核心利益", "内政", "领土完整",
                   "网络主权", "主权", "互不干涉", "人类命运共同体", "网络空间命运共同体", "命运共同体",
                   "合作共赢", "互利共赢", "相互尊重", "红线", "冷战思维", "零和博弈", "阵营对抗", "霸权",
                   "单边主义", "多边主义", "三个联合公报", "坚决反对", "强烈谴责", "严正交涉", "强烈不满",
                   "台独", "分裂", "和平发展", "和平、安全、开放、合作", "和平安全开放合作", "战略互信",
                   "战略伙伴关系", "全面战略", "双重标准", "长臂管辖")

# Chinese characters often written for one another (的/地/得, 做/作...): one for the other is a spelling fix.
ZH_CONFUSABLE = frozenset(frozenset(p) for p in ("的地", "的得", "地得", "做作", "在再", "即既", "象像", "那哪",
                                                 "帐账", "分份", "已以", "副付", "型形", "侯候", "带戴", "决绝",
                                                 "部布", "历厉", "练炼", "辨辩"))

# --------------------------------------------------------------------------- finders


def _alternation(words: tuple[str, ...] | list[str]) -> str:
    return "|".join(map(re.escape, sorted(set(words), key=len, reverse=True)))


def _finder(found: tuple[str, ...], excluded: tuple[str, ...]) -> re.Pattern[str]:
    """Excluded compounds first: a match of one of them is skipped (the regex takes the longest at a place)."""
    return re.compile(f"(?P<x>{_alternation(excluded)})|(?P<w>{_alternation(found)})")


_ZH_NEG = _finder(ZH_NEGATORS, ZH_NOT_NEGATION)
_ZH_MOD = _finder(ZH_MODALS, ZH_NOT_MODAL)


def _counted(rx: re.Pattern[str], text: str) -> Counter[str]:
    return Counter(m.group("w") for m in rx.finditer(text) if m.group("w"))


def zh_negators(text: str) -> Counter[str]:
    """Chinese negators in text (any run of characters), compounds like 非洲 or 不断 left out."""
    return _counted(_ZH_NEG, text)


# a one-character modal is the short form of its two-character word (应 of 应当, 须 of 必须): one modal,
# so 应 -> 应当 is wording, not a change of commitment (as "won't" is "will")
ZH_MODAL_SHORT = {"应": "应当", "须": "必须", "需": "需要", "愿": "愿意", "能": "能够", "可": "可以", "将": "将会"}


def zh_modals(text: str) -> Counter[str]:
    """Chinese modal words in text, compounds like 会议 or 重要 left out; 不能/不会 are modals here;
    a short form counted as its full word (ZH_MODAL_SHORT)."""
    return Counter(ZH_MODAL_SHORT.get(w, w) for w in _counted(_ZH_MOD, text).elements())


_EN_ALIASES = {a: name for name, aliases in ENTITIES.items() for a in aliases if not re.search("[^\x00-\x7f]", a)}
_ZH_ALIASES = {a: name for name, aliases in ENTITIES.items() for a in aliases if re.search("[^\x00-\x7f]", a)}
_EN_NAMES = re.compile(rf"(?<![\w.])(?:{_alternation(list(_EN_ALIASES))})(?![\w])")
_ZH_NAMES = re.compile(_alternation(list(_ZH_ALIASES)))
_ACRONYM = re.compile(r"(?<![\w])[A-Z]{2,6}s?(?![\w])")
_CAPITALISED = re.compile(r"(?<![\w])[A-Z][a-z]+(?:[ -](?:(?:of|the|for|and|on|in)[ -])*[A-Z][a-z]+)+(?![\w])")
_NOT_NAMES = re.compile(r"一个中国|一中|(?<![\w])[Oo]ne[- ]China(?![\w])")   # a principle, not the country
_SENTENCE_WORDS = frozenset({"The", "We", "It", "This", "That", "These", "Both", "All", "In", "On", "As", "At",
                             "He", "She", "They", "Our", "Recalling", "During"})


def entities(text: str, *, guessed: bool = True) -> Counter[str]:
    """Names in text, by canonical name: the gazetteer (English and Chinese), then (`guessed`) acronyms
    of 2-6 capitals and capitalised multi-word names ("Cyber Dialogue") in what the gazetteer left."""
    found: Counter[str] = Counter()
    rest = _NOT_NAMES.sub(lambda m: "\x00" * len(m.group()), text)
    for rx, aliases in ((_EN_NAMES, _EN_ALIASES), (_ZH_NAMES, _ZH_ALIASES)):
        for m in rx.finditer(rest):
            found[aliases[m.group()]] += 1
        rest = rx.sub(lambda m: "\x00" * len(m.group()), rest)
    if not guessed:
        return found
    for m in _ACRONYM.finditer(rest):
        found[m.group().removesuffix("s")] += 1
    rest = _ACRONYM.sub("\x00", rest)
    for m in _CAPITALISED.finditer(rest):
        name = m.group()
        first, _, tail = name.partition(" ")
        if first in _SENTENCE_WORDS:         # "The Inaugural Dialogue": the sentence's start is no part of it
            name = tail
        if " " in name or "-" in name:
            found[name] += 1
    return found


_FORM_EN = re.compile(rf"(?<![a-z])(?:{_alternation(FORMULATIONS_EN)})(?![a-z])")
_FORM_ZH = re.compile(_alternation(FORMULATIONS_ZH))


def formulations(words_lower: str, text: str) -> Counter[str]:
    """Set phrases: English ones in `words_lower` (lower-case words joined by spaces), Chinese in text."""
    return Counter(m.group() for m in _FORM_EN.finditer(words_lower)) + Counter(
        m.group() for m in _FORM_ZH.finditer(text))


# --------------------------------------------------------------------------- what a span holds

_DATES = re.compile(
    r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|(?<!\d)\d{1,2}:\d{2}(?::\d{2})?(?!\d)|(?<![\d,.])(?:19\d\d|20\d\d|2100)(?![\d]|[,.]\d)"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{'|'.join(sorted(MONTHS, key=len, reverse=True))})\b"
    rf"|\b(?:{'|'.join(sorted(MONTHS, key=len, reverse=True))})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b"
    r"|[\d〇零一二三四五六七八九十]+\s*[年月日号]|[今明去前后本上下](?:年|月|周|天)|[昨今明]天")
_ZH_NUMBERS = re.compile(r"(?!一个中国)第?[零〇一二两三四五六七八九十百千万亿]+(?=[个项次名位条届种批家倍亿万])"
                         r"|[零〇一二两三四五六七八九十]*[百千万亿]+|百分之[零〇一二两三四五六七八九十百]+")
_CJK = re.compile(f"[{CJK_RANGES}]")
_DIGIT = re.compile(r"\d")
_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")        # a figure (a word like "G20" or "5G" is none)
_INFLECTIONS = frozenset({"", "s", "es", "ed", "d", "ing", "ly", "er", "ers", "ies", "y", "ied", "al", "ion",
                          "ions", "ment", "ments", "ive", "ity"})


def negations(words: Sequence[str], text: str) -> int:
    """How many negators: English whole words (`words`; "n't" is "n" + "t"), Chinese ones in text."""
    count = 0
    for i, w in enumerate(words):
        low = w.lower()
        if low in EN_NEGATORS or (low == "t" and i and words[i - 1].lower().endswith("n")):
            count += 1
    return count + sum(zh_negators(text).values())


_CONTRACTED = {"won": "will", "shan": "shall", "can": "can"}


def modals(words: Sequence[str], text: str) -> Counter[str]:
    """Modal words and commitment phrases by id: English in `words` ("cannot" is "can"), Chinese in text."""
    found: Counter[str] = Counter()
    for i, w in enumerate(words):
        low = w.lower()
        nxt = words[i + 1].lower() if i + 1 < len(words) else ""
        if low == "cannot":
            found["can"] += 1
        elif low in _CONTRACTED and nxt == "t":
            found[_CONTRACTED[low]] += 1
        elif low in EN_MODALS and w != "May" and not (low == "will" and i and
                                                          words[i - 1].lower() in EN_WILL_NOUN_AFTER):
            found[low] += 1
    for m in EN_MODAL_PHRASES.finditer(" ".join(words).lower()):
        found[(m.group("be") or m.group("verb")).rstrip("s")] += 1
    return found + zh_modals(text)


def title_case(text: str) -> bool:
    """Most longer words capitalised ("Wang Yi Holds Talks with..."): capitals there mark no names."""
    longer = [w for w in re.findall(r"[A-Za-z]{4,}", text)]
    return len(longer) >= 2 and sum(w[0].isupper() for w in longer) >= 0.6 * len(longer)


def figures(text: str, words: Sequence[str], spans: Sequence[tuple[int, int]]) -> set[str]:
    """"date" and/or "number" when some of `words` (at `spans` in text) are (in) a date or a figure."""
    dates = [m.span() for m in _DATES.finditer(text)]
    numbers = [m.span() for m in _ZH_NUMBERS.finditer(text)]
    out = set()
    for word, (s, e) in zip(words, spans):
        if word in MONTHS or any(s < de and e > ds for ds, de in dates):
            out.add("date")
        elif (_NUMBER.fullmatch(word) or word.lower() in EN_NUMBER_WORDS
              or any(s < ne and e > ns for ns, ne in numbers)):
            out.add("number")
    return out


def _edits(a: str, b: str) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], prev2[j - 2] + 1)
        prev2, prev = prev, row
    return prev[-1]


def spelling_fix(old: Sequence[str], new: Sequence[str]) -> bool:
    """A spelling fix: words joined/split, a small edit in a long-ish word, a confusable CJK character."""
    if not old or not new or any(_DIGIT.search(w) for w in (*old, *new)):
        return False
    if len(old) != len(new):
        return "".join(old).casefold() == "".join(new).casefold()
    if len(old) != 1:
        return False
    a, b = old[0].casefold(), new[0].casefold()
    if _CJK.fullmatch(a) and _CJK.fullmatch(b):
        return frozenset((a, b)) in ZH_CONFUSABLE
    if _CJK.search(a + b) or a == b or a[0] != b[0] or min(len(a), len(b)) < 6:
        return False
    prefix = 0
    while prefix < min(len(a), len(b)) and a[prefix] == b[prefix]:
        prefix += 1
    if a[prefix:] in _INFLECTIONS and b[prefix:] in _INFLECTIONS:
        return False                      # "supports" -> "supported": another form of the word
    return _edits(a, b) <= (2 if min(len(a), len(b)) >= 9 else 1)
