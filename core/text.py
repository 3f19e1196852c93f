"""Names as people and systems type them: one folded form to compare and search by."""

from __future__ import annotations

import unicodedata

_FOLD_EXTRA = str.maketrans({"ı": "i", "ł": "l", "ø": "o", "đ": "d", "ß": "ss", "æ": "ae", "œ": "oe"})
# Combining diacritical marks, dropped after decomposition (ü -> u, ş -> s, й -> и).
_DROP_MARKS = dict.fromkeys(range(0x0300, 0x0370))


def fold_name(name: str) -> str:
    """Lower case, no accents: Yılmaz, YILMAZ and Yilmaz fold alike, as do Müller and MULLER, Иванов and ИВАНОВ."""
    if name.isascii():
        return name.lower()
    decomposed = unicodedata.normalize("NFKD", name.casefold().translate(_FOLD_EXTRA))
    return decomposed.translate(_DROP_MARKS).translate(_FOLD_EXTRA)
