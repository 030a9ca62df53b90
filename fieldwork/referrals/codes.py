"""Card codes: short, typable, with a check character.

The alphabet has no characters people confuse (no 0/O, 1/I/L) and 31 symbols — a prime. The
check character makes ``sum(weight_i * value_i) ≡ 0 (mod 31)`` with weights 1..7, all distinct
and non-zero, so every single wrong character (w·(a-b) ≢ 0) and every swap of two neighbours
((w_i - w_{i+1})·(a-b) = -(a-b) ≢ 0) changes the sum: the mistake is caught, never a
different valid card."""

from __future__ import annotations

import re
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
BASE = len(ALPHABET)  # 31, prime
DATA_LENGTH = 6
CODE_LENGTH = DATA_LENGTH + 1
_VALUES = {char: index for index, char in enumerate(ALPHABET)}
_SEPARATORS = re.compile(r"[\s\-–.·_/]+")


class CodeError(ValueError):
    """A typed code that cannot be a card's: ``kind`` is 'length', 'characters' or 'check'."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def check_character(data: str) -> str:
    total = sum((position + 1) * _VALUES[char] for position, char in enumerate(data))
    weight = len(data) + 1
    # weight * c ≡ -total (mod 31): multiply by the inverse of weight
    return ALPHABET[(-total * pow(weight, -1, BASE)) % BASE]


def is_valid(code: str) -> bool:
    if len(code) != CODE_LENGTH or any(char not in _VALUES for char in code):
        return False
    return sum((i + 1) * _VALUES[c] for i, c in enumerate(code)) % BASE == 0


def new_code() -> str:
    data = "".join(secrets.choice(ALPHABET) for _ in range(DATA_LENGTH))
    return data + check_character(data)


def display(code: str) -> str:
    """``K7MQ4X9`` → ``K7MQ-4X9``: easier to read aloud and to type."""
    return f"{code[:4]}-{code[4:]}"


def normalise(typed: str) -> str:
    """What a person typed (any case, spaces, dashes) → the stored code; raises CodeError."""
    code = _SEPARATORS.sub("", typed or "").upper()
    if len(code) != CODE_LENGTH:
        raise CodeError("length", f"A card code has {CODE_LENGTH} characters.")
    wrong = sorted({char for char in code if char not in _VALUES})
    if wrong:
        raise CodeError("characters", "A card code never contains " + ", ".join(wrong) + ".")
    if not is_valid(code):
        raise CodeError("check", "This code has a typing error: check every character.")
    return code
