"""Form widgets shared by the apps."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe


class PlainSelect(forms.Select):
    """A select rendered in Python. Django renders each option through a template, which for a
    county's 250 villages cost more than the rest of a list page. Groups ((label, [choices]))
    become <optgroup>s."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        chosen = {
            "" if v is None else str(v) for v in (value if isinstance(value, list) else [value])
        }

        def options(choices: Any) -> SafeString:
            return format_html_join(
                "",
                '<option value="{}"{}>{}</option>',
                (
                    (key, mark_safe(" selected") if str(key) in chosen else "", label)
                    for key, label in choices
                ),
            )

        parts = []
        for key, label in self.choices:
            if isinstance(label, list | tuple):
                parts.append(format_html('<optgroup label="{}">{}</optgroup>', key, options(label)))
            else:
                parts.append(options([(key, label)]))
        final = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        body = format_html_join("", "{}", ((part,) for part in parts))
        return format_html("<select{}>{}</select>", flatatt(final), body)
