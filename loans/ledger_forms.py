"""Back-office forms of the loan ledger: the officer's review, staff repayment entry, the
core-banking file."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from households.forms import BootstrapMixin


class ReviewForm(BootstrapMixin, forms.Form):
    decision = forms.ChoiceField(
        label="审核结论", choices=[("approve", "同意"), ("decline", "不同意")]
    )
    note = forms.CharField(label="审核意见", max_length=200, min_length=2)


class RepaymentForm(BootstrapMixin, forms.Form):
    amount = forms.DecimalField(label="还款金额（元）", max_digits=14, decimal_places=2)
    paid_on = forms.DateField(
        label="还款日期", initial=timezone.localdate, widget=forms.DateInput(attrs={"type": "date"})
    )
    reference = forms.CharField(label="柜面流水号", max_length=64, required=False)
    idempotency_key = forms.CharField(widget=forms.HiddenInput)


class RepaymentImportForm(BootstrapMixin, forms.Form):
    file = forms.FileField(
        label="核心系统还款文件（CSV：借据号, 还款日期, 还款金额, 流水号）",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 20 * 1024 * 1024:
            raise forms.ValidationError("还款文件不能超过20MB")
        return upload
