"""The lookup's pure logic: what may be typed, what the page may say, codes and their hashes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qrlookup.engine import agents, codes, inputs, outcome

TODAY = date(2026, 12, 6)


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("王建国", "王建国"),
        (" 王 建 国 ", "王建国"),
        ("阿依古丽•买买提", "阿依古丽·买买提"),
        ("ＷＡＮＧ", "WANG"),  # full-width letters
    ],
)
def test_names_are_normalised(typed, kept):
    assert inputs.normalise_name(typed) == kept


@pytest.mark.parametrize("typed", ["", "王1", "王\u0000", "·王", "王" * 21, "王\u202e国", "王;--"])
def test_odd_names_are_refused(typed):
    with pytest.raises(inputs.InputError):
        inputs.normalise_name(typed)


def test_a_resident_id_with_full_width_digits_and_lower_case_x():
    assert (
        inputs.normalise_resident_id("１１０１０５１９４９１２３１００２x") == "11010519491231002X"
    )


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("11010519491231002", "应为18位"),
        ("11010519491231002Y", "前17位应为数字"),
        ("110105194912310021", "校验位不正确"),
        ("1" * 41, "应为18位"),
    ],
)
def test_bad_resident_ids_are_refused_by_their_shape(typed, message):
    with pytest.raises(inputs.InputError, match=message):
        inputs.normalise_resident_id(typed)


@given(st.text(max_size=60))
def test_no_text_crashes_the_checks(text):
    for check in (inputs.normalise_name, inputs.normalise_resident_id, inputs.normalise_code):
        try:
            result = check(text)
        except inputs.InputError:
            continue
        assert result.isprintable()


def test_names_match_after_the_same_normalisation():
    assert inputs.names_match("阿依古丽·买买提", "阿依古丽•买买提")
    assert not inputs.names_match("王建国", "王建")


def test_codes_are_six_digits_and_their_hash_is_bound_to_the_challenge():
    code = codes.new_code()
    assert len(code) == 6
    assert code.isdigit()
    key = b"k" * 32
    stored = codes.code_hash(code, challenge_id="a", key=key)
    assert codes.code_matches(code, stored, challenge_id="a", key=key)
    assert not codes.code_matches(code, stored, challenge_id="b", key=key)
    assert not codes.code_matches(code, "", challenge_id="a", key=key)  # nothing was sent


def test_wechat_is_told_apart():
    assert agents.ua_class("Mozilla/5.0 (iPhone) MicroMessenger/8.0") == "wechat"
    assert agents.ua_class("Mozilla/5.0 (Linux; Android 12) Mobile") == "mobile"
    assert agents.ua_class("Mozilla/5.0 (X11; Linux x86_64)") == "desktop"
    assert agents.ua_class("curl/8") == "other"


def _line(**overrides):
    facts = {
        "grade": "AA",
        "amount": Decimal("150000"),
        "rate_percent": "4.35%",
        "valid_to": date(2029, 1, 1),
        "status": "active",
        "online_eligible": True,
    }
    facts.update(overrides)
    return outcome.LineFacts(**facts)


def test_a_line_in_force_is_shown_with_its_words():
    shown = outcome.outcome_for(
        rated=True, knocked_out=False, line=_line(), as_of=TODAY, raised=("x",), hints=("y",)
    )
    assert shown.show == outcome.SHOW_LINE
    assert shown.line.amount_text == "150,000"
    assert shown.hints == ("y",)


@pytest.mark.parametrize(
    ("knocked_out", "line"),
    [
        (True, None),
        (False, None),  # grade B: no line
        (False, _line(status="suspended")),
        (False, _line(status="revoked")),
        (False, _line(status="expired")),
        (False, _line(valid_to=date(2026, 12, 5))),  # past its date, not yet expired nightly
    ],
)
def test_every_other_case_gets_the_neutral_answer_and_no_words(knocked_out, line):
    said = outcome.outcome_for(
        rated=True, knocked_out=knocked_out, line=line, as_of=TODAY, raised=("x",), hints=("y",)
    )
    assert said.show == outcome.CONTACT_OFFICER
    assert said.line is None
    assert said.raised == said.hints == said.words == ()


def test_not_rated_is_its_own_case():
    assert outcome.outcome_for(rated=False, knocked_out=False, line=None, as_of=TODAY).show == (
        outcome.NOT_RATED
    )
