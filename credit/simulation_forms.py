"""The what-if form: a scope and date (as a rating run), the cards and the credit policy."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from credit.models import CreditPolicyVersion, PolicyStatus
from fuxiang.accounts import roles
from rating.forms import RunStartForm
from rating.models import Scorecard, ScorecardStatus, SubjectKind

CARD_FIELDS = {
    SubjectKind.HOUSEHOLD: "household_card",
    SubjectKind.ENTERPRISE: "enterprise_card",
    SubjectKind.AGRICULTURAL: "agricultural_card",
}


class SimulationForm(RunStartForm):
    """Head office may pick drafts (of cards and policies); a manager only approved versions.
    A blank choice means the version in force."""

    household_card = forms.ModelChoiceField(
        label="农户评分卡", queryset=Scorecard.objects.none(), required=False
    )
    enterprise_card = forms.ModelChoiceField(
        label="企业评分卡", queryset=Scorecard.objects.none(), required=False
    )
    agricultural_card = forms.ModelChoiceField(
        label="新型农业经营主体评分卡", queryset=Scorecard.objects.none(), required=False
    )
    policy = forms.ModelChoiceField(
        label="授信政策", queryset=CreditPolicyVersion.objects.none(), required=False
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["scope"].label = "测算范围"
        self.fields["as_of"].label = "测算基准日"
        drafts = roles.can_approve_policy(user)
        card_statuses = [ScorecardStatus.APPROVED]
        policy_statuses = [PolicyStatus.APPROVED]
        if drafts:
            card_statuses += [ScorecardStatus.DRAFT, ScorecardStatus.SUBMITTED]
            policy_statuses += [PolicyStatus.DRAFT, PolicyStatus.SUBMITTED]
        for kind, name in CARD_FIELDS.items():
            field = cast(forms.ModelChoiceField, self.fields[name])
            field.queryset = Scorecard.objects.filter(kind=kind, status__in=card_statuses)
            field.empty_label = "现行评分卡"
            field.label_from_instance = _card_label  # type: ignore[method-assign,assignment]  # Django\'s documented hook
        policy = cast(forms.ModelChoiceField, self.fields["policy"])
        policy.queryset = CreditPolicyVersion.objects.filter(status__in=policy_statuses)
        policy.empty_label = "现行授信政策"
        policy.label_from_instance = lambda p: f"{p.version}（{p.get_status_display()}）"  # type: ignore[method-assign,assignment]  # Django\'s documented hook

    def cards(self) -> dict[str, Scorecard]:
        data = self.cleaned_data
        return {kind: data[name] for kind, name in CARD_FIELDS.items() if data.get(name)}


def _card_label(card: Scorecard) -> str:
    return f"{card.version}（{card.get_status_display()}）"
