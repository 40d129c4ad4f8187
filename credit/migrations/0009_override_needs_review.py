"""Overrides carry the grade and cap they were approved under, and a 待复核 status for the
ones a later rating took the ground from under (``credit.engine.override_outlived``).

Overrides approved before this migration recorded neither: they take their subject's current
grade and that grade's cap under the policy in force today — what the last approval or run
saw, as near as can be known. One without a current rating takes the lowest grade and no cap,
so only a knock-out sends it to review."""

from decimal import Decimal

from django.conf import settings
from django.db import migrations, models
from django.utils import timezone


def backfill(apps, schema_editor):
    Override = apps.get_model("credit", "CreditOverride")
    Policy = apps.get_model("credit", "CreditPolicyVersion")
    CurrentRating = apps.get_model("rating", "CurrentRating")
    version = (
        Policy.objects.filter(status="approved", effective_from__lte=timezone.localdate())
        .order_by("-effective_from")
        .first()
    )
    caps = (version.data.get("grade_caps") or {}) if version is not None else {}
    for override in Override.objects.filter(status="approved"):
        if override.household_id is not None:
            current = CurrentRating.objects.filter(household_id=override.household_id).first()
        else:
            current = CurrentRating.objects.filter(
                business_entity_id=override.business_entity_id
            ).first()
        grade = current.grade if current is not None else "B"
        override.approved_grade = grade
        override.approved_cap = Decimal(str(caps.get(grade, 0)))
        override.save(update_fields=["approved_grade", "approved_cap"])


class Migration(migrations.Migration):

    dependencies = [
        ('credit', '0008_line_run_held_index'),
        ('households', '0006_household_bank_business'),
        ('rating', '0007_chunk_counts'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='creditoverride',
            name='credit_override_one_open_per_household',
        ),
        migrations.RemoveConstraint(
            model_name='creditoverride',
            name='credit_override_one_open_per_entity',
        ),
        migrations.AddField(
            model_name='creditoverride',
            name='approved_cap',
            field=models.DecimalField(blank=True, decimal_places=2, max_digits=14, null=True, verbose_name='批准时等级额度上限（元）'),
        ),
        migrations.AddField(
            model_name='creditoverride',
            name='approved_grade',
            field=models.CharField(blank=True, max_length=8, verbose_name='批准时评级'),
        ),
        migrations.AddField(
            model_name='creditoverride',
            name='review_reason',
            field=models.CharField(blank=True, max_length=200, verbose_name='待复核原因'),
        ),
        migrations.AddField(
            model_name='creditoverride',
            name='review_since',
            field=models.DateTimeField(blank=True, null=True, verbose_name='转待复核时间'),
        ),
        migrations.AlterField(
            model_name='creditoverride',
            name='status',
            field=models.CharField(choices=[('proposed', '待审批'), ('approved', '已批准'), ('needs_review', '待复核'), ('rejected', '已退回'), ('withdrawn', '已撤回')], default='proposed', max_length=12, verbose_name='状态'),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='creditoverride',
            constraint=models.UniqueConstraint(condition=models.Q(('status__in', ('proposed', 'approved', 'needs_review'))), fields=('household',), name='credit_override_one_open_per_household', violation_error_message='该户已有待审批、生效中或待复核的人工调整'),
        ),
        migrations.AddConstraint(
            model_name='creditoverride',
            constraint=models.UniqueConstraint(condition=models.Q(('status__in', ('proposed', 'approved', 'needs_review'))), fields=('business_entity',), name='credit_override_one_open_per_entity', violation_error_message='该主体已有待审批、生效中或待复核的人工调整'),
        ),
        migrations.AddConstraint(
            model_name='creditoverride',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status__in', ['approved', 'needs_review']), _negated=True), models.Q(models.Q(('approved_grade', ''), _negated=True), ('approved_cap__isnull', False), ('approved_cap__gte', 0)), _connector='OR'), name='credit_override_approved_under', violation_error_message='已批准的人工调整须记录批准时的评级和等级额度上限'),
        ),
        migrations.AddConstraint(
            model_name='creditoverride',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'needs_review'), _negated=True), models.Q(models.Q(('review_reason', ''), _negated=True), ('review_since__isnull', False)), _connector='OR'), name='credit_override_review_says_why', violation_error_message='待复核的人工调整须记录原因和时间'),
        ),
    ]
