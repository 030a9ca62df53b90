"""Card codes: every single typo and every swap of neighbours is caught."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fieldwork.referrals.codes import (
    ALPHABET,
    CODE_LENGTH,
    DATA_LENGTH,
    CodeError,
    check_character,
    display,
    is_valid,
    new_code,
    normalise,
)

data_part = st.text(alphabet=ALPHABET, min_size=DATA_LENGTH, max_size=DATA_LENGTH)


def test_the_alphabet_has_no_characters_people_confuse():
    assert not set("01ILO") & set(ALPHABET)
    assert len(set(ALPHABET)) == len(ALPHABET) == 31


@given(data_part)
def test_a_code_with_its_check_character_is_valid(data):
    assert is_valid(data + check_character(data))


@given(data_part, st.integers(0, CODE_LENGTH - 1), st.sampled_from(ALPHABET))
def test_every_single_wrong_character_is_caught(data, position, wrong):
    code = data + check_character(data)
    if code[position] == wrong:
        return
    typo = code[:position] + wrong + code[position + 1 :]
    assert not is_valid(typo)
    with pytest.raises(CodeError) as caught:
        normalise(typo)
    assert caught.value.kind == "check"


@given(data_part, st.integers(0, CODE_LENGTH - 2))
def test_every_swap_of_two_neighbours_is_caught(data, position):
    code = data + check_character(data)
    if code[position] == code[position + 1]:
        return
    swapped = code[:position] + code[position + 1] + code[position] + code[position + 2 :]
    assert not is_valid(swapped)


def test_exhaustively_for_one_code_no_typo_or_swap_is_another_valid_code():
    code = new_code()
    variants = {code[:i] + c + code[i + 1 :] for i in range(CODE_LENGTH) for c in ALPHABET}
    variants |= {code[:i] + code[i + 1] + code[i] + code[i + 2 :] for i in range(CODE_LENGTH - 1)}
    variants.discard(code)
    assert variants
    assert not any(is_valid(v) for v in variants)


def test_generated_codes_are_valid_and_distinct():
    codes = [new_code() for _ in range(5000)]
    assert all(is_valid(c) and len(c) == CODE_LENGTH for c in codes)
    assert len(set(codes)) > 4990  # 31^6 possibilities; the series service removes repeats


@given(data_part)
def test_what_people_type_is_normalised(data):
    code = data + check_character(data)
    typed = f"  {display(code).lower()} "
    assert normalise(typed) == code
    assert normalise(" ".join(code)) == code


@pytest.mark.parametrize(
    ("typed", "kind"),
    [
        ("", "length"),
        ("K7MQ-4X", "length"),
        ("K7MQ-4X99", "length"),
        ("K7MO-4X9", "characters"),
        ("K1MQ-4X9", "characters"),
        ("K7MQ-4X!", "characters"),
    ],
)
def test_malformed_codes_say_what_is_wrong(typed, kind):
    with pytest.raises(CodeError) as caught:
        normalise(typed)
    assert caught.value.kind == kind
