"""Names as people and systems type them: one folded form to compare and search by."""

from __future__ import annotations

import functools
import unicodedata

from anyascii import anyascii

_FOLD_EXTRA = str.maketrans({"ı": "i", "ł": "l", "ø": "o", "đ": "d", "ß": "ss", "æ": "ae", "œ": "oe"})
# Combining diacritical marks, dropped after decomposition (ü -> u, ş -> s, й -> и).
_DROP_MARKS = dict.fromkeys(range(0x0300, 0x0370))


def fold_name(name: str) -> str:
    """Lower case, no accents: Yılmaz, YILMAZ and Yilmaz fold alike, as do Müller and MULLER, Иванов and ИВАНОВ."""
    if name.isascii():
        return name.lower()
    decomposed = unicodedata.normalize("NFKD", name.casefold().translate(_FOLD_EXTRA))
    return decomposed.translate(_DROP_MARKS).translate(_FOLD_EXTRA)


#: The longest names and words the caches below keep. What an operator sends can be far longer (a
#: field may hold 100,000 characters); longer text is folded every time, so the caches stay small
#: whatever arrives: at most 65,536 names of 256 characters, 16,384 words of 64.
CACHED_NAME_CHARS = 256
CACHED_WORD_CHARS = 64

_fold_kept = functools.lru_cache(maxsize=1 << 16)(fold_name)


def fold_repeated(name: str) -> str:
    """``fold_name`` for text that comes again and again (surnames, the hotel book's guests, read per batch)."""
    return _fold_kept(name) if len(name) <= CACHED_NAME_CHARS else fold_name(name)


# What a Latin spelling of a name leaves out: the soft and hard signs come out of anyascii as quotes
# (Ольга -> Ol'ga), and nobody types them.
_LATIN_DROP = str.maketrans("", "", "'\"")


def latin_form(folded: str) -> str:
    """A folded text spelled in Latin letters (иванов -> ivanov), as a guest's passport spells it."""
    return anyascii(folded).lower().translate(_LATIN_DROP)


def search_fold(text: str) -> str:
    """What the inbox search looks in: the folded text, and its Latin spelling when that differs.

    So `yilmaz` finds Yılmaz and YILMAZ, `muller` finds Müller, and `ivanov` finds Иванов
    without a Cyrillic keyboard, while `иванов` still finds it too.

    Folding and spelling in Latin turn each character on its own, so a text's forms are its
    words' forms joined: each word is turned once and kept (``_word_forms``), as names come
    again and again (up to ``CACHED_WORD_CHARS`` long).
    """
    if text.isascii():
        return text.lower()
    forms = [_word_forms(word) if len(word) <= CACHED_WORD_CHARS else _forms(word) for word in text.split(" ")]
    folded = " ".join(form[0] for form in forms)
    if folded.isascii():
        return folded
    latin = " ".join(form[1] for form in forms)
    return folded if latin == folded else f"{folded} {latin}"


def _forms(word: str) -> tuple[str, str]:
    """A word folded, and that spelled in Latin letters."""
    folded = fold_name(word)
    return folded, latin_form(folded)


_word_forms = functools.lru_cache(maxsize=1 << 14)(_forms)
