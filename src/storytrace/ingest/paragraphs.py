"""The canonical shape of article text: one paragraph per line, nothing else.

Every reader ends here, so offsets mean the same thing whatever the source format was:
line ends unified, blank lines and trailing spaces gone, runs of spaces inside a line kept
single. Characters inside a paragraph are never changed otherwise.
"""

from __future__ import annotations

import re

_INLINE_SPACE = re.compile(r"[ \t\u00a0\u2009\u202f]{2,}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def to_paragraphs(text: str) -> str:
    """Text with one paragraph per line, no blank lines, no stray control characters."""
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    lines = (_INLINE_SPACE.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)
