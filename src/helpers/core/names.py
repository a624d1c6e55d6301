"""A column name's words: how `MonthlyIncome`, `q5_2` or `是否流失` split into the words that the
rules of `workbook init` and the reports' wording recognise. Ground layer: strings only."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["CJK_WORDS", "name_tokens"]

# Chinese column names have no spaces to split on: these words, found anywhere in a name, add
# the English word the rules know (是否流失 -> churn, 年龄 -> age, 客户编号 -> id)
CJK_WORDS = {
    "编号": "id", "客户号": "id", "流失": "churn", "状态": "status", "权重": "weight",
    "性别": "gender", "年龄": "age", "收入": "income", "学历": "education", "教育": "education",
    "职业": "occupation", "婚姻": "marital", "城市": "city", "省": "province", "地区": "region",
    "区域": "region", "国家": "country", "满意": "satisfaction", "同意": "agree", "推荐": "recommend",
    "姓名": "fullname", "名字": "fullname", "电话": "phone", "手机": "mobile", "邮箱": "email",
    "邮件": "email", "地址": "address", "身份证": "passport", "生日": "birthday", "金额": "amount",
    "日期": "date", "时间": "time", "渠道": "channel", "优惠": "promotion",
}  # fmt: skip


def name_tokens(name: str) -> list[str]:
    """A column name's words, lower case, accents dropped: `MonthlyIncome` -> monthly, income;
    `q5_2` -> q5, 2; `Größe` -> grosse; `是否流失` -> 是否流失, churn."""
    text = str(name)
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text)
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", spaced)
    plain = unicodedata.normalize("NFKD", spaced.replace("ß", "ss"))
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
    tokens = [t for t in re.split(r"[\W_]+", plain.lower()) if t]
    return tokens + [word for cjk, word in CJK_WORDS.items() if cjk in text]
