"""Names that read alike: one normal form for what people type, and a skeleton that
names which look the same share.

A role named "Space\\u00a0Admin", "Space  Admin" or "Space Admin" spelled with a
Cyrillic S (U+0405) and A (U+0410) reads as the built-in "Space Admin" in every list
and audit line, and would be granted or trusted as one. `normal_name` folds the first
two (Unicode NFKC, runs of whitespace as one space); `skeleton` maps every character
to one representative of its confusables (Unicode's confusables data, shipped by
`confusable-homoglyphs`) and folds case, so that names which look alike have the same
skeleton.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from confusable_homoglyphs import confusables

_WHITESPACE = re.compile(r"\s+")


def normal_name(value: str) -> str:
    """NFKC, whitespace runs as one space, trimmed."""
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFKC", value)).strip()


@lru_cache(maxsize=8192)
def _representative(character: str) -> str:
    glyphs = confusables.confusables_data.get(character) or ()
    candidates: list[str] = [character, *(str(g["c"]) for g in glyphs if len(g["c"]) == 1)]
    return min(candidates)


def skeleton(value: str) -> str:
    """What `value` looks like: equal for names a reader cannot tell apart."""
    return "".join(_representative(ch) for ch in normal_name(value)).casefold()
