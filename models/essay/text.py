"""Text normalisation and tokenisation shared by the features and the embedder.

Written by hand (a few regular expressions) because essays only need words, sentences and
the ASAP anonymisation placeholders (``@PERSON1``, ``@CAPS2``) handled consistently; a
full NLP pipeline would add a heavy dependency for no gain in score.
"""

from __future__ import annotations

import re

PLACEHOLDER = re.compile(r"@([A-Z]+)\d*")
WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def normalise(text: str) -> str:
    """Replace anonymisation placeholders by a plain word and collapse whitespace."""
    text = PLACEHOLDER.sub(lambda m: m.group(1).capitalize(), text)
    return re.sub(r"[ \t\r\f\v]+", " ", text).strip()


def words(text: str) -> list[str]:
    return WORD.findall(text)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE_END.split(text) if s and s.strip()]


def chunks(text: str, max_words: int = 180) -> list[str]:
    """Pack whole sentences into chunks of at most ``max_words`` words (the encoder reads 256 tokens)."""
    out: list[str] = []
    current: list[str] = []
    count = 0
    for sentence in sentences(normalise(text)):
        tokens = sentence.split()
        while len(tokens) > max_words:  # one run-on "sentence" longer than a chunk
            if current:
                out.append(" ".join(current))
                current, count = [], 0
            out.append(" ".join(tokens[:max_words]))
            tokens = tokens[max_words:]
        if count + len(tokens) > max_words and current:
            out.append(" ".join(current))
            current, count = [], 0
        current.extend(tokens)
        count += len(tokens)
    if current:
        out.append(" ".join(current))
    return out
