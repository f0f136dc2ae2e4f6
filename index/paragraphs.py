"""Split article text into paragraphs as a reader sees them, and long paragraphs into
windows that fit the embedding model's input."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence

# Bump when paragraph splitting changes, so articles are re-split on the next run
# (only texts that actually changed are embedded again).
PARAGRAPHING_VERSION = 1

BULLET = re.compile(r"^\s*(?:[•·▪◦‣●○■□–—*+-]|\d{1,2}[.)])\s+")
TERMINAL = re.compile(r"""[.!?:;…]["'”’)\]]*$""")
# A fragment shorter than this many words is joined to a neighbour.
MIN_WORDS = 6
# Lines without terminal punctuation and shorter than this are fragments too
# (datelines, bylines, sub-heads).
MIN_WORDS_UNPUNCTUATED = 12

ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof sen rep gov gen col lt sgt capt st jr sr inc ltd co corp
    vs etc no jan feb mar apr jun jul aug sep sept oct nov dec u.s u.k u.n e.g i.e
    approx est dept fig ft mt rev hon""".split()
)
SENTENCE_END = re.compile(r"""[.!?…]+["'”’)\]]*\s+(?=["'“‘(\[]?[A-Z0-9])""")


def normalize_text(text: str) -> str:
    """Unicode NFC, unix newlines, no trailing spaces, non-breaking spaces as spaces."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


def _word_count(text: str) -> int:
    return len(text.split())


def _is_bullet(line: str) -> bool:
    return bool(BULLET.match(line))


def _block_units(block: str) -> list[str]:
    """Units of one blank-line-separated block: a line that does not end a sentence
    continues on the next line (hard-wrapped text); bullet lines stay together."""
    lines = [line.strip() for line in block.split("\n") if line.strip()]
    units: list[str] = []
    current: list[str] = []
    current_is_bullets = False
    for line in lines:
        bullet = _is_bullet(line)
        if not current:
            current, current_is_bullets = [line], bullet
            continue
        previous = current[-1]
        if bullet and current_is_bullets:
            current.append(line)
        elif not bullet and not current_is_bullets and not TERMINAL.search(previous) \
                and _word_count(previous) >= MIN_WORDS_UNPUNCTUATED // 2:
            current[-1] = previous + " " + line
        elif not bullet and current_is_bullets and not TERMINAL.search(previous) \
                and line[:1].islower():
            current[-1] = previous + " " + line  # a wrapped bullet
        else:
            units.append("\n".join(current))
            current, current_is_bullets = [line], bullet
    if current:
        units.append("\n".join(current))
    return units


def _is_fragment(unit: str) -> bool:
    if "\n" in unit:  # a group of bullets
        return _word_count(unit) < MIN_WORDS_UNPUNCTUATED
    words = _word_count(unit)
    return words < MIN_WORDS or (words < MIN_WORDS_UNPUNCTUATED and not TERMINAL.search(unit))


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs of an article body, in order.

    Blank lines separate paragraphs; inside a block every line that ends a sentence
    ends a paragraph (one paragraph per line, as many news exports have), and a line
    that does not is joined to the next (hard-wrapped text). Fragments (datelines,
    bylines, lone bullets, sub-heads) are joined to the following paragraph, or to the
    previous one at the end of the article.
    """
    text = normalize_text(text)
    units: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        units.extend(_block_units(block))
    paragraphs: list[str] = []
    pending = ""
    for unit in units:
        if pending:
            unit = pending + "\n" + unit
            pending = ""
        if _is_fragment(unit):
            pending = unit
        else:
            paragraphs.append(unit)
    if pending:
        if paragraphs:
            paragraphs[-1] = paragraphs[-1] + "\n" + pending
        else:
            paragraphs.append(pending)
    return paragraphs


def split_sentences(text: str) -> list[str]:
    """Sentences of a paragraph; abbreviations and initials do not end a sentence."""
    sentences: list[str] = []
    start = 0
    for match in SENTENCE_END.finditer(text):
        before = text[start:match.start() + 1].rstrip(".!?…\"'”’)]")
        last_word = before.split()[-1].lower().rstrip(".") if before.split() else ""
        if last_word in ABBREVIATIONS or (len(last_word) == 1 and last_word.isalpha()):
            continue
        sentences.append(text[start:match.end()].strip())
        start = match.end()
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


TokenCounter = Callable[[Sequence[str]], list[int]]


def _split_words(sentence: str, tokens: int, max_tokens: int) -> list[str]:
    """Cut one over-long sentence at word boundaries into pieces of about max_tokens."""
    words = sentence.split()
    per_word = max(tokens / max(len(words), 1), 1.0)
    size = max(int(max_tokens / per_word * 0.9), 1)
    return [" ".join(words[i:i + size]) for i in range(0, len(words), size)]


def window_paragraph(paragraph: str, count_tokens: TokenCounter, max_tokens: int) -> list[str]:
    """The paragraph itself when it fits in max_tokens, else consecutive windows of
    whole sentences that each fit (a sentence longer than the window is cut at words)."""
    if count_tokens([paragraph])[0] <= max_tokens:
        return [paragraph]
    pieces: list[str] = []
    sentences = split_sentences(paragraph)
    for sentence, tokens in zip(sentences, count_tokens(sentences)):
        if tokens <= max_tokens:
            pieces.append(sentence)
        else:
            pieces.extend(_split_words(sentence, tokens, max_tokens))
    windows: list[str] = []
    current: list[str] = []
    current_tokens = 0
    for piece, tokens in zip(pieces, count_tokens(pieces)):
        if current and current_tokens + tokens > max_tokens:
            windows.append(" ".join(current))
            current, current_tokens = [], 0
        current.append(piece)
        current_tokens += tokens
    if current:
        windows.append(" ".join(current))
    return windows
