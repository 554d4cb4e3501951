"""Contact details never leave analytics: free text (a gate's reason, a provider's error) is
masked before it is exported, in case an address or a number was quoted in it."""

from __future__ import annotations

import re

_PATTERNS = (
    (re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"), "[email]"),
    (re.compile(r"(?<!\d)(\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)"), "[phone]"),
    (re.compile(r"(?<![\w-])o[\w-]{27}(?![\w-])"), "[openid]"),  # WeChat openids: o + 27
)


def mask(text: str) -> str:
    """The text with every e-mail address, mainland mobile number and WeChat openid replaced."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text
