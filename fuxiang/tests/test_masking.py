from __future__ import annotations

import pytest

from fuxiang.masking import mask_name, mask_phone, mask_resident_id


@pytest.mark.parametrize(
    ("name", "masked"),
    [("张三", "张*"), ("欧阳修文", "欧***"), ("李", "李"), ("", "")],
)
def test_name_keeps_only_the_surname_character(name, masked):
    assert mask_name(name) == masked


def test_resident_id_shows_first_three_and_last_four():
    assert mask_resident_id("43022319800517123x") == "430***********123X"


def test_phone_hides_the_middle_four_digits():
    assert mask_phone("13812345678") == "138****5678"
