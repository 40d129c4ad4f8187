"""Masked display of personal data (docs/design.md §4.4). Pure functions, no Django."""

from __future__ import annotations


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳修文 → 欧***: keep the first character (the surname)."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    return name[0] + "*" * (len(name) - 1)


def mask_resident_id(id_number: str) -> str:
    """First 3 and last 4 characters kept: 430***********1234."""
    value = (id_number or "").strip().upper()
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_phone(phone: str) -> str:
    """3-4-4 with the middle hidden: 138****5678."""
    value = (phone or "").strip()
    if len(value) != 11:
        return "*" * len(value)
    return value[:3] + "****" + value[-4:]
