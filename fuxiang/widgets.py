"""Form widgets shared by the apps."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import conditional_escape, format_html
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

        def option(key: Any, label: Any) -> str:
            # what format_html would write, without its per-call machinery (250 villages)
            selected = " selected" if str(key) in chosen else ""
            return (
                f'<option value="{conditional_escape(key)}"{selected}>'
                f"{conditional_escape(label)}</option>"
            )

        parts = []
        for key, label in self.choices:
            if isinstance(label, list | tuple):
                inner = "".join(option(k, v) for k, v in label)
                parts.append(f'<optgroup label="{conditional_escape(key)}">{inner}</optgroup>')
            else:
                parts.append(option(key, label))
        final = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        return format_html("<select{}>{}</select>", flatatt(final), mark_safe("".join(parts)))  # noqa: S308
