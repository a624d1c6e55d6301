"""The demo brand's words: open answers about five planted themes (in English or Chinese, each
segment in its own mix), a few with the person's own contact details, and the names people are
given. `helpers.setup.demo` draws the people; this module writes what they say."""

from __future__ import annotations

import numpy as np
import pandas as pd

# Planted themes of the open answers: every phrasing of a theme shares its key words (as real
# answers about one thing do), in English and in Chinese; each segment talks about them in its
# own mix (THEME_MIX), and half the people mention a second theme.
THEMES = ["shipping cost", "quality", "discount codes", "sustainable packaging", "new products in the app"]
THEME_PHRASES = {
    "en": [
        [
            "Shipping costs put me off small orders",
            "Free shipping would make me order more often",
            "The shipping cost is too high for small orders",
        ],
        [
            "The quality is worth paying for",
            "Great quality that lasts for years",
            "I pay more for better quality",
        ],
        [
            "Discount codes are the reason I came back",
            "Send me more discount codes",
            "I wait for a discount code before I buy",
        ],
        [
            "Less plastic packaging please",
            "I want recyclable sustainable packaging",
            "Sustainable packaging matters to me",
        ],
        [
            "I love finding new products in the app",
            "The app makes it easy to discover new products",
            "New products in the app keep me coming back",
        ],
    ],
    "zh": [
        ["运费太贵了，小订单不划算", "免运费的话我会更常下单", "小订单的运费太高"],
        ["质量很好，值得多花钱", "质量好，用了好几年", "为了更好的质量我愿意多付钱"],
        ["优惠码是我回来购买的原因", "请多发一些优惠码", "我会等优惠码再买"],
        ["希望减少塑料包装", "我想要可回收的环保包装", "环保包装对我很重要"],
        ["我喜欢在应用里发现新品", "应用让我很容易找到新品", "在应用里逛新品很有意思"],
    ],
}
THEME_MIX = np.array(
    [  # shipping, quality, discounts, packaging, app: by segment (rows as SEGMENTS)
        [0.35, 0.05, 0.50, 0.05, 0.05],
        [0.10, 0.60, 0.10, 0.10, 0.10],
        [0.10, 0.10, 0.20, 0.05, 0.55],
        [0.45, 0.10, 0.15, 0.10, 0.20],
        [0.10, 0.20, 0.05, 0.60, 0.05],
    ]
)
CONTACT_PHRASES = {"en": (" Email me at {}.", " Call me on {}."), "zh": ("请发邮件到{}。", "请打电话{}。")}
FIRST_NAMES = {
    "female": [
        "Emma",
        "Olivia",
        "Sofia",
        "Grace",
        "Amelia",
        "Chloe",
        "Isla",
        "Maya",
        "Lucy",
        "Hannah",
        "Zara",
        "Ruth",
    ],
    "male": [
        "Oliver",
        "Jack",
        "Noah",
        "Liam",
        "Arjun",
        "Samuel",
        "Daniel",
        "Leo",
        "Tom",
        "Omar",
        "Peter",
        "Ethan",
    ],
    "non-binary": ["Alex", "Sam", "Jordan", "Robin", "Charlie", "Riley"],
}
LAST_NAMES = [
    "Smith",
    "Jones",
    "Patel",
    "Brown",
    "Taylor",
    "Wilson",
    "Khan",
    "Evans",
    "Walker",
    "Wright",
    "Green",
    "Hall",
    "Wood",
    "Clarke",
    "Hughes",
    "Lewis",
    "Shaw",
    "Price",
]


def open_answers(
    rng: np.random.Generator, seg: np.ndarray, email: pd.Series, phone: pd.Series, language: str, seed: int
) -> tuple[pd.Series, pd.Series]:
    """One plain-language answer per person about one or two planted themes, in the segment's
    mix; a few include the person's own contact details. Returns the answers and the themes."""
    n = len(seg)
    # the main stream is drawn as before (the rest of the demo depends on it); the themes have
    # their own stream
    rng.integers(0, 4, n), rng.integers(1, 4, n)
    two = rng.random(n) < 0.5
    contact = rng.random(n)
    answered = rng.random(n) >= 0.15
    own = np.random.default_rng([seed, 15])
    cumulative = THEME_MIX.cumsum(axis=1)[seg]
    first = (own.random(n)[:, None] > cumulative).sum(axis=1).clip(0, len(THEMES) - 1)
    second = (first + own.integers(1, len(THEMES), n)) % len(THEMES)
    phrases = np.asarray(THEME_PHRASES[language], dtype=object)
    variant_a, variant_b = own.integers(0, phrases.shape[1], n), own.integers(0, phrases.shape[1], n)
    stop = "。" if language == "zh" else ". "
    end = "。" if language == "zh" else "."
    text = pd.Series(phrases[first, variant_a]) + np.where(
        two, stop + pd.Series(phrases[second, variant_b]), ""
    )
    text = text + end
    mail, call = CONTACT_PHRASES[language]
    text = text.where(contact >= 0.03, text + email.map(mail.format))
    text = text.where((contact < 0.03) | (contact >= 0.05), text + phone.map(call.format))
    names = np.asarray(THEMES, dtype=object)
    themes = pd.Series(names[first]).where(~two, pd.Series(names[first]) + "|" + pd.Series(names[second]))
    return text.where(answered, None), themes.where(answered, None)
