"""Words in any script, counted as a word processor counts them.

Space-separated scripts (Latin, Cyrillic, Greek, Hangul ...): a word is a run of word characters, as
``\\w+`` has always counted here. Scripts written without spaces between words (Han, Hiragana, Katakana):
one word per character, as word processors count Chinese and Japanese (within a factor of about 1.4 of a
word segmenter's count: a Chinese word is 1.5-2 characters). Korean separates its words with spaces, so a
Hangul word counts once.

No dependencies: the crawler (word counts, language detection) and the audit (shingles, the classifier's
tokens) share it.
"""

from __future__ import annotations

import re

# Han (with the compatibility block and the supplementary-plane extensions), Hiragana, Katakana (with
# its phonetic extensions and the half-width forms)
CJK = ("\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"
       "\U00020000-\U0003134f")
# one CJK character that is a word character (not the katakana middle dot), or a run of other word characters
WORD = re.compile(rf"[^\W{CJK}]+|(?=\w)[{CJK}]")
_CJK_CHAR = re.compile(rf"(?=\w)[{CJK}]")


_ASCII_WORD = re.compile(r"\w+")


def words(text: str) -> list:
    """The words of ``text``: each CJK character alone, other words as ``\\w+`` finds them."""
    return (_ASCII_WORD if text.isascii() else WORD).findall(text)


def word_count(text: str) -> int:
    return len(words(text))


def cjk_count(text: str) -> int:
    """How many Han or kana characters ``text`` holds."""
    return len(_CJK_CHAR.findall(text))
