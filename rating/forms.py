"""Back-office forms of rating: starting a run, importing a scorecard, rejecting one."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from django import forms
from django.utils import timezone

from fuxiang.accounts import roles
from fuxiang.widgets import PlainSelect
from households.forms import BootstrapMixin
from households.models import Township
from households.selectors import grids_visible_to, villages_visible_to
from rating import runs
from rating.models import RunScope


class RunStartForm(BootstrapMixin, forms.Form):
    """Scope and as-of date of a run. ``target`` lists only what the user may rate: head
    office the whole county; a branch manager their branch's grids and villages. The date
    picker offers the days a real run may take (``runs.as_of_window``); the service checks
    them, and that no run of the scope was published with a later date."""

    scope = forms.ChoiceField(label="评级范围")
    target = forms.ChoiceField(
        widget=PlainSelect,
        label="乡镇 / 网格 / 村",
        required=False,
        help_text="评级范围为全县时不用选择",
    )
    as_of = forms.DateField(
        label="评级基准日", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        everything = roles.can_approve_policy(user)
        scopes = [RunScope.COUNTY, RunScope.TOWNSHIP] if everything else []
        scopes += [RunScope.GRID, RunScope.VILLAGE]
        cast(forms.ChoiceField, self.fields["scope"]).choices = [(s.value, s.label) for s in scopes]
        groups: list[tuple[str, list[tuple[str, str]]]] = []
        if everything:
            townships = Township.objects.order_by("name").values_list("pk", "name")
            groups.append(("乡镇", [(f"township:{pk}", name) for pk, name in townships]))
        grids = grids_visible_to(user).order_by("name").values_list("pk", "name")
        groups.append(("网格", [(f"grid:{pk}", name) for pk, name in grids]))
        villages = (
            villages_visible_to(user)
            .order_by("township__name", "name")
            .values_list("pk", "township__name", "name")
        )
        groups.append(("村", [(f"village:{pk}", f"{t} {name}") for pk, t, name in villages]))
        cast(forms.ChoiceField, self.fields["target"]).choices = [("", "—— 请选择 ——"), *groups]
        today = timezone.localdate()
        back = runs.as_of_window()
        as_of = self.fields["as_of"]
        as_of.initial = today
        as_of.help_text = (
            f"今天或此前{back}天内，且不早于该范围上次评级的基准日；其他日期请用模拟测算"
        )
        as_of.widget.attrs.update(
            min=(today - timedelta(days=back)).isoformat(), max=today.isoformat()
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        scope, target = data.get("scope"), data.get("target") or ""
        data["scope_ids"] = []
        if scope and scope != RunScope.COUNTY:
            kind, _, pk = target.partition(":")
            if kind != scope or not pk.isdigit():
                label = RunScope(scope).label
                self.add_error("target", f"请选择要评级的{label}")
            else:
                data["scope_ids"] = [int(pk)]
        return data


class ScorecardImportForm(BootstrapMixin, forms.Form):
    file = forms.FileField(
        label="评分卡JSON文件",
        help_text="由“导出JSON”下载的文件；导入后成为草稿，需提交并由另一位总行用户批准",
        widget=forms.ClearableFileInput(attrs={"accept": ".json,application/json"}),
    )
    version = forms.CharField(
        label="新版本号", max_length=20, required=False, help_text="不填则用文件中的版本号"
    )
    note = forms.CharField(label="说明", max_length=200, required=False)


class ScorecardRejectForm(BootstrapMixin, forms.Form):
    rejection_reason = forms.CharField(label="退回原因", max_length=200)
