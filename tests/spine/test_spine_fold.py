"""Search text is folded word by word (each word turned once and kept): the same text as folding it whole."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from core.text import (
    CACHED_NAME_CHARS,
    CACHED_WORD_CHARS,
    _fold_kept,
    _word_forms,
    fold_name,
    fold_repeated,
    latin_form,
    search_fold,
)


def folded_whole(text: str) -> str:
    """The search text as worked out from the whole text at once."""
    folded = fold_name(text)
    if folded.isascii():
        return folded
    latin = latin_form(folded)
    return folded if latin == folded else f"{folded} {latin}"


NAMES = st.text(
    alphabet=st.sampled_from("aAzZ09 '\"-;.ıİIiŞşÇçĞğÖöÜüßæœøłđÆЁёЙйИванов\u0301\u0308\u00a0ǅﬁ"), max_size=40
)


@given(NAMES)
def test_folding_word_by_word_gives_what_folding_the_whole_text_gives(text: str) -> None:
    assert search_fold(text) == folded_whole(text)


def test_the_names_the_search_promises_to_find() -> None:
    assert search_fold("TUI-1 Yılmaz Ayşe; MÜLLER Jan") == "tui-1 yilmaz ayse; muller jan"
    assert search_fold("O'Brien Иванов") == "o'brien иванов obrien ivanov"
    assert search_fold("  double  spaces ") == "  double  spaces "


def test_long_text_is_folded_but_not_kept() -> None:
    # A field may hold 100,000 characters: kept, each would make the caches as large.
    _word_forms.cache_clear()
    _fold_kept.cache_clear()
    word = "Ü" * (CACHED_WORD_CHARS + 1)
    name = "Şahin " * CACHED_NAME_CHARS
    assert search_fold(f"{word} {word}") == folded_whole(f"{word} {word}")
    assert fold_repeated(name) == fold_name(name)
    assert (_word_forms.cache_info().currsize, _fold_kept.cache_info().currsize) == (0, 0)
    # Names are kept, a word at a time.
    assert search_fold("V1 Müller Müller") == "v1 muller muller"
    assert fold_repeated("Şahin") == "sahin"
    assert (_word_forms.cache_info().currsize, _fold_kept.cache_info().currsize) == (2, 1)
