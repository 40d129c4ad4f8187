# The archive history (households/models/history.py): event tables, their statement-level
# triggers (PostgreSQL only; django-pgtrigger skips them elsewhere), and on PostgreSQL one
# "baseline" event per archive row already there, so that history starts complete.

import django.core.validators
import django.db.models.deletion
import households.models.history
import pgtrigger.compiler
import pgtrigger.migrations
from decimal import Decimal
from django.db import migrations, models


HISTORY_OF = {
    'householdhistory': 'household',
    'memberhistory': 'member',
    'watchlistmatchhistory': 'watchlistmatch',
    'businessentityhistory': 'businessentity',
    'watchlistentitymatchhistory': 'watchlistentitymatch',
}


def baseline_events(apps, schema_editor):
    """One event per existing archive row: the state the history starts from."""
    if schema_editor.connection.vendor != 'postgresql':
        return
    quote = schema_editor.quote_name
    for history_name, tracked_name in HISTORY_OF.items():
        history = apps.get_model('households', history_name)
        tracked = apps.get_model('households', tracked_name)
        columns = [
            f.column
            for f in history._meta.concrete_fields
            if not f.name.startswith('pgh_')
        ]
        listed = ', '.join(quote(c) for c in columns)
        schema_editor.execute(
            f'INSERT INTO {quote(history._meta.db_table)} '
            f'({listed}, pgh_created_at, pgh_label, pgh_obj_id) '
            f"SELECT {listed}, clock_timestamp(), 'baseline', id "
            f'FROM {quote(tracked._meta.db_table)} ORDER BY id'
        )


class Migration(migrations.Migration):

    dependencies = [
        ('households', '0008_entity_credit_record_and_company_listings'),
        ('pghistory', '0007_auto_20250421_0444'),  # _pgh_attach_context(), which triggers call
    ]

    operations = [
        migrations.CreateModel(
            name='BusinessEntityHistory',
            fields=[
                ('pgh_id', models.AutoField(primary_key=True, serialize=False)),
                ('pgh_created_at', models.DateTimeField(auto_now_add=True)),
                ('pgh_label', models.TextField(help_text='The event label.')),
                ('pgh_xid', models.BigIntegerField(db_default=households.models.history.CurrentTransactionId(), editable=False, null=True, verbose_name='写入事务')),
                ('category', models.CharField(choices=[('enterprise', '小微企业/个体工商户'), ('agricultural', '新型农业经营主体')], editable=False, max_length=12, verbose_name='主体类别')),
                ('kind', models.CharField(choices=[('micro_enterprise', '小微企业'), ('individual_business', '个体工商户'), ('family_farm', '家庭农场'), ('cooperative', '农民专业合作社'), ('large_grower', '种养大户')], max_length=20, verbose_name='主体类型')),
                ('years_operating', models.PositiveSmallIntegerField(default=0, verbose_name='经营年限（年）')),
                ('annual_revenue', models.DecimalField(decimal_places=2, default=Decimal('0'), max_digits=14, validators=[django.core.validators.MinValueValidator(0, message='年销售收入（元）不能为负数')], verbose_name='年销售收入（元）')),
                ('total_assets', models.DecimalField(decimal_places=2, default=Decimal('0'), max_digits=14, validators=[django.core.validators.MinValueValidator(0, message='资产总额（元）不能为负数')], verbose_name='资产总额（元）')),
                ('total_liabilities', models.DecimalField(decimal_places=2, default=Decimal('0'), max_digits=14, validators=[django.core.validators.MinValueValidator(0, message='负债总额（元）不能为负数')], verbose_name='负债总额（元）')),
                ('current_liabilities', models.DecimalField(decimal_places=2, default=Decimal('0'), max_digits=14, validators=[django.core.validators.MinValueValidator(0, message='流动负债（元）不能为负数')], verbose_name='流动负债（元）')),
                ('employees', models.PositiveIntegerField(default=0, verbose_name='从业人数')),
                ('land_mu', models.DecimalField(decimal_places=2, default=Decimal('0'), max_digits=10, validators=[django.core.validators.MinValueValidator(0, message='经营土地不能为负数')], verbose_name='经营土地（亩）')),
                ('cooperative_members', models.PositiveIntegerField(default=0, verbose_name='合作社成员数')),
                ('tax_compliant', models.BooleanField(default=True, verbose_name='依法纳税')),
                ('overdue_count_24m', models.PositiveIntegerField(default=0, verbose_name='近24个月逾期次数')),
                ('has_outstanding_overdue', models.BooleanField(default=False, verbose_name='有未结清逾期')),
                ('has_bad_loan', models.BooleanField(default=False, verbose_name='有不良贷款余额')),
                ('annual_costs', models.DecimalField(blank=True, decimal_places=2, help_text='营业成本、费用和税金合计；留空时按授信政策中该类主体的利润率估算年净利润', max_digits=14, null=True, validators=[django.core.validators.MinValueValidator(0, message='年经营成本费用不能为负数')], verbose_name='年经营成本费用（元）')),
            ],
            options={
                'verbose_name': '经营主体档案历史',
                'verbose_name_plural': '经营主体档案历史',
                'abstract': False,
            },
        ),
        migrations.CreateModel(
            name='HouseholdHistory',
            fields=[
                ('pgh_id', models.AutoField(primary_key=True, serialize=False)),
                ('pgh_created_at', models.DateTimeField(auto_now_add=True)),
                ('pgh_label', models.TextField(help_text='The event label.')),
                ('pgh_xid', models.BigIntegerField(db_default=households.models.history.CurrentTransactionId(), editable=False, null=True, verbose_name='写入事务')),
                ('status', models.CharField(choices=[('archived', '已建档'), ('incomplete', '待补充'), ('closed', '已销户')], default='archived', max_length=12, verbose_name='档案状态')),
                ('rating_consent', models.BooleanField(default=False, verbose_name='同意评级授信')),
                ('house_ownership', models.CharField(choices=[('owned', '自有住房'), ('rented', '租住'), ('other', '其他')], default='owned', max_length=10, verbose_name='住房情况')),
                ('committee_assessment', models.CharField(blank=True, choices=[('very_good', '很好'), ('good', '好'), ('fair', '一般'), ('poor', '差')], max_length=10, verbose_name='村两委评议')),
                ('income_crops', models.DecimalField(decimal_places=2, default=Decimal('0'), max_digits=14, validators=[django.core.validators.MinValueValidator(0, message='种植业收入（元/年）不能为负数')], verbose_name='种植业收入（元/年）')),
                ('income_livestock', models.DecimalField(decimal_places=2, default=Decimal('0'), max_digits=14, validators=[django.core.validators.MinValueValidator(0, message='养殖业收入（元/年）不能为负数')], verbose_name='养殖业收入（元/年）')),
                ('income_business', models.DecimalField(decimal_places=2, default=Decimal('0'), max_digits=14, validators=[django.core.validators.MinValueValidator(0, message='经营收入（元/年）不能为负数')], verbose_name='经营收入（元/年）')),
                ('income_wages', models.DecimalField(decimal_places=2, default=Decimal('0'), max_digits=14, validators=[django.core.validators.MinValueValidator(0, message='工资性收入（元/年）不能为负数')], verbose_name='工资性收入（元/年）')),
                ('income_other', models.DecimalField(decimal_places=2, default=Decimal('0'), max_digits=14, validators=[django.core.validators.MinValueValidator(0, message='其他收入（元/年）不能为负数')], verbose_name='其他收入（元/年）')),
                ('annual_costs', models.DecimalField(decimal_places=2, default=Decimal('0'), max_digits=14, validators=[django.core.validators.MinValueValidator(0, message='年生产生活支出（元/年）不能为负数')], verbose_name='年生产生活支出（元/年）')),
                ('house_value', models.DecimalField(decimal_places=2, default=Decimal('0'), max_digits=14, validators=[django.core.validators.MinValueValidator(0, message='房产估值（元）不能为负数')], verbose_name='房产估值（元）')),
                ('livestock_value', models.DecimalField(decimal_places=2, default=Decimal('0'), max_digits=14, validators=[django.core.validators.MinValueValidator(0, message='牲畜估值（元）不能为负数')], verbose_name='牲畜估值（元）')),
                ('vehicles_value', models.DecimalField(decimal_places=2, default=Decimal('0'), max_digits=14, validators=[django.core.validators.MinValueValidator(0, message='车辆估值（元）不能为负数')], verbose_name='车辆估值（元）')),
                ('deposits', models.DecimalField(decimal_places=2, default=Decimal('0'), max_digits=14, validators=[django.core.validators.MinValueValidator(0, message='存款（元）不能为负数')], verbose_name='存款（元）')),
                ('other_assets', models.DecimalField(decimal_places=2, default=Decimal('0'), max_digits=14, validators=[django.core.validators.MinValueValidator(0, message='其他资产（元）不能为负数')], verbose_name='其他资产（元）')),
                ('loans_this_bank', models.DecimalField(decimal_places=2, default=Decimal('0'), max_digits=14, validators=[django.core.validators.MinValueValidator(0, message='本行贷款余额（元）不能为负数')], verbose_name='本行贷款余额（元）')),
                ('loans_other_banks', models.DecimalField(decimal_places=2, default=Decimal('0'), max_digits=14, validators=[django.core.validators.MinValueValidator(0, message='他行贷款余额（元）不能为负数')], verbose_name='他行贷款余额（元）')),
                ('private_loans', models.DecimalField(decimal_places=2, default=Decimal('0'), max_digits=14, validators=[django.core.validators.MinValueValidator(0, message='民间借贷（元）不能为负数')], verbose_name='民间借贷（元）')),
                ('avg_daily_deposit_here', models.DecimalField(decimal_places=2, default=Decimal('0'), max_digits=14, validators=[django.core.validators.MinValueValidator(0, message='在本行日均存款（元）不能为负数')], verbose_name='在本行日均存款（元）')),
                ('other_lenders_count', models.PositiveIntegerField(default=0, verbose_name='本行以外贷款机构数')),
                ('overdue_count_24m', models.PositiveIntegerField(default=0, verbose_name='近24个月逾期次数')),
                ('honours_count', models.PositiveIntegerField(default=0, verbose_name='荣誉表彰（项）')),
                ('public_record_deductions', models.PositiveIntegerField(default=0, verbose_name='公共记录扣分（项）')),
                ('has_outstanding_overdue', models.BooleanField(default=False, verbose_name='有未结清逾期')),
                ('has_bad_loan', models.BooleanField(default=False, verbose_name='有不良贷款余额')),
                ('is_dishonest_debtor', models.BooleanField(default=False, verbose_name='失信被执行人')),
                ('has_criminal_record', models.BooleanField(default=False, verbose_name='有犯罪记录')),
                ('has_drug_gambling_flag', models.BooleanField(default=False, verbose_name='涉毒涉赌')),
                ('payroll_agency', models.BooleanField(default=False, verbose_name='本行代发工资')),
                ('mobile_banking_active', models.BooleanField(default=False, verbose_name='手机银行活跃')),
            ],
            options={
                'verbose_name': '农户档案历史',
                'verbose_name_plural': '农户档案历史',
                'abstract': False,
            },
        ),
        migrations.CreateModel(
            name='MemberHistory',
            fields=[
                ('pgh_id', models.AutoField(primary_key=True, serialize=False)),
                ('pgh_created_at', models.DateTimeField(auto_now_add=True)),
                ('pgh_label', models.TextField(help_text='The event label.')),
                ('pgh_xid', models.BigIntegerField(db_default=households.models.history.CurrentTransactionId(), editable=False, null=True, verbose_name='写入事务')),
                ('relation', models.CharField(choices=[('head', '户主'), ('spouse', '配偶'), ('child', '子女'), ('parent', '父母'), ('sibling', '兄弟姐妹'), ('grandchild', '孙子女'), ('grandparent', '祖父母'), ('child_in_law', '儿媳/女婿'), ('other', '其他')], max_length=12, verbose_name='与户主关系')),
                ('birth_date', models.DateField(editable=False, verbose_name='出生日期')),
                ('health', models.CharField(choices=[('good', '良好'), ('fair', '一般'), ('poor', '较差')], default='good', max_length=8, verbose_name='健康状况')),
                ('education', models.CharField(choices=[('college', '大专及以上'), ('senior', '高中/中专'), ('junior', '初中'), ('primary', '小学及以下')], default='junior', max_length=10, verbose_name='文化程度')),
                ('labour_ability', models.CharField(choices=[('full', '有劳动能力'), ('partial', '部分劳动能力'), ('none', '无劳动能力')], default='full', max_length=8, verbose_name='劳动能力')),
                ('is_dibao', models.BooleanField(default=False, verbose_name='低保户')),
                ('is_poverty_alleviated', models.BooleanField(default=False, verbose_name='脱贫户')),
            ],
            options={
                'verbose_name': '家庭成员历史',
                'verbose_name_plural': '家庭成员历史',
                'abstract': False,
            },
        ),
        migrations.CreateModel(
            name='WatchlistEntityMatchHistory',
            fields=[
                ('pgh_id', models.AutoField(primary_key=True, serialize=False)),
                ('pgh_created_at', models.DateTimeField(auto_now_add=True)),
                ('pgh_label', models.TextField(help_text='The event label.')),
                ('pgh_xid', models.BigIntegerField(db_default=households.models.history.CurrentTransactionId(), editable=False, null=True, verbose_name='写入事务')),
                ('kind', models.CharField(choices=[('dishonest_debtor', '失信被执行人'), ('criminal_record', '犯罪记录'), ('drug_gambling', '涉毒涉赌'), ('dibao', '低保'), ('poverty_alleviated', '脱贫户')], max_length=20, verbose_name='名单类型')),
                ('cleared_at', models.DateTimeField(blank=True, null=True, verbose_name='解除时间')),
            ],
            options={
                'verbose_name': '经营主体名单匹配历史',
                'verbose_name_plural': '经营主体名单匹配历史',
                'abstract': False,
            },
        ),
        migrations.CreateModel(
            name='WatchlistMatchHistory',
            fields=[
                ('pgh_id', models.AutoField(primary_key=True, serialize=False)),
                ('pgh_created_at', models.DateTimeField(auto_now_add=True)),
                ('pgh_label', models.TextField(help_text='The event label.')),
                ('pgh_xid', models.BigIntegerField(db_default=households.models.history.CurrentTransactionId(), editable=False, null=True, verbose_name='写入事务')),
                ('kind', models.CharField(choices=[('dishonest_debtor', '失信被执行人'), ('criminal_record', '犯罪记录'), ('drug_gambling', '涉毒涉赌'), ('dibao', '低保'), ('poverty_alleviated', '脱贫户')], max_length=20, verbose_name='名单类型')),
                ('cleared_at', models.DateTimeField(blank=True, null=True, verbose_name='解除时间')),
            ],
            options={
                'verbose_name': '名单匹配历史',
                'verbose_name_plural': '名单匹配历史',
                'abstract': False,
            },
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='businessentity',
            trigger=pgtrigger.compiler.Trigger(name='insert_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='WITH _pgh_attached_context AS ( SELECT _pgh_attach_context() AS value ) INSERT INTO "households_businessentityhistory" ("annual_costs", "annual_revenue", "category", "cooperative_members", "current_liabilities", "employees", "has_bad_loan", "has_outstanding_overdue", "kind", "land_mu", "overdue_count_24m", "pgh_created_at", "pgh_label", "pgh_obj_id", "tax_compliant", "total_assets", "total_liabilities", "village_id", "years_operating") SELECT new_values."annual_costs", new_values."annual_revenue", new_values."category", new_values."cooperative_members", new_values."current_liabilities", new_values."employees", new_values."has_bad_loan", new_values."has_outstanding_overdue", new_values."kind", new_values."land_mu", new_values."overdue_count_24m", clock_timestamp(), \'insert\', new_values."id", new_values."tax_compliant", new_values."total_assets", new_values."total_liabilities", new_values."village_id", new_values."years_operating" FROM ( SELECT new_values.* FROM new_values  ) AS new_values, _pgh_attached_context; RETURN NULL;', hash='0091ff9841382ab1637fe5cb418af83e41bf4937', level='STATEMENT', operation='INSERT', pgid='pgtrigger_insert_insert_5f74f', referencing='REFERENCING NEW TABLE AS new_values ', table='households_businessentity', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='businessentity',
            trigger=pgtrigger.compiler.Trigger(name='update_update', sql=pgtrigger.compiler.UpsertTriggerSql(func='WITH _pgh_attached_context AS ( SELECT _pgh_attach_context() AS value ) INSERT INTO "households_businessentityhistory" ("annual_costs", "annual_revenue", "category", "cooperative_members", "current_liabilities", "employees", "has_bad_loan", "has_outstanding_overdue", "kind", "land_mu", "overdue_count_24m", "pgh_created_at", "pgh_label", "pgh_obj_id", "tax_compliant", "total_assets", "total_liabilities", "village_id", "years_operating") SELECT new_values."annual_costs", new_values."annual_revenue", new_values."category", new_values."cooperative_members", new_values."current_liabilities", new_values."employees", new_values."has_bad_loan", new_values."has_outstanding_overdue", new_values."kind", new_values."land_mu", new_values."overdue_count_24m", clock_timestamp(), \'update\', new_values."id", new_values."tax_compliant", new_values."total_assets", new_values."total_liabilities", new_values."village_id", new_values."years_operating" FROM ( SELECT new_values.* FROM old_values JOIN new_values ON (old_values."id") = (new_values."id") WHERE (old_values."annual_costs" IS DISTINCT FROM (new_values."annual_costs") OR old_values."annual_revenue" IS DISTINCT FROM (new_values."annual_revenue") OR old_values."category" IS DISTINCT FROM (new_values."category") OR old_values."cooperative_members" IS DISTINCT FROM (new_values."cooperative_members") OR old_values."current_liabilities" IS DISTINCT FROM (new_values."current_liabilities") OR old_values."employees" IS DISTINCT FROM (new_values."employees") OR old_values."has_bad_loan" IS DISTINCT FROM (new_values."has_bad_loan") OR old_values."has_outstanding_overdue" IS DISTINCT FROM (new_values."has_outstanding_overdue") OR old_values."kind" IS DISTINCT FROM (new_values."kind") OR old_values."land_mu" IS DISTINCT FROM (new_values."land_mu") OR old_values."overdue_count_24m" IS DISTINCT FROM (new_values."overdue_count_24m") OR old_values."tax_compliant" IS DISTINCT FROM (new_values."tax_compliant") OR old_values."total_assets" IS DISTINCT FROM (new_values."total_assets") OR old_values."total_liabilities" IS DISTINCT FROM (new_values."total_liabilities") OR old_values."village_id" IS DISTINCT FROM (new_values."village_id") OR old_values."years_operating" IS DISTINCT FROM (new_values."years_operating")) ) AS new_values, _pgh_attached_context; RETURN NULL;', hash='afb386d76e26ca3003a69411a3ab764e7f22ae4e', level='STATEMENT', operation='UPDATE', pgid='pgtrigger_update_update_3d162', referencing='REFERENCING OLD TABLE AS old_values  NEW TABLE AS new_values ', table='households_businessentity', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='businessentity',
            trigger=pgtrigger.compiler.Trigger(name='delete_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func='WITH _pgh_attached_context AS ( SELECT _pgh_attach_context() AS value ) INSERT INTO "households_businessentityhistory" ("annual_costs", "annual_revenue", "category", "cooperative_members", "current_liabilities", "employees", "has_bad_loan", "has_outstanding_overdue", "kind", "land_mu", "overdue_count_24m", "pgh_created_at", "pgh_label", "pgh_obj_id", "tax_compliant", "total_assets", "total_liabilities", "village_id", "years_operating") SELECT old_values."annual_costs", old_values."annual_revenue", old_values."category", old_values."cooperative_members", old_values."current_liabilities", old_values."employees", old_values."has_bad_loan", old_values."has_outstanding_overdue", old_values."kind", old_values."land_mu", old_values."overdue_count_24m", clock_timestamp(), \'delete\', old_values."id", old_values."tax_compliant", old_values."total_assets", old_values."total_liabilities", old_values."village_id", old_values."years_operating" FROM ( SELECT old_values.* FROM old_values  ) AS old_values, _pgh_attached_context; RETURN NULL;', hash='69bf7e2d73667c9b901f0747f15d826e3ca040e1', level='STATEMENT', operation='DELETE', pgid='pgtrigger_delete_delete_f7245', referencing='REFERENCING OLD TABLE AS old_values ', table='households_businessentity', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='household',
            trigger=pgtrigger.compiler.Trigger(name='insert_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='WITH _pgh_attached_context AS ( SELECT _pgh_attach_context() AS value ) INSERT INTO "households_householdhistory" ("annual_costs", "avg_daily_deposit_here", "committee_assessment", "deposits", "has_bad_loan", "has_criminal_record", "has_drug_gambling_flag", "has_outstanding_overdue", "honours_count", "house_ownership", "house_value", "income_business", "income_crops", "income_livestock", "income_other", "income_wages", "is_dishonest_debtor", "livestock_value", "loans_other_banks", "loans_this_bank", "mobile_banking_active", "other_assets", "other_lenders_count", "overdue_count_24m", "payroll_agency", "pgh_created_at", "pgh_label", "pgh_obj_id", "private_loans", "public_record_deductions", "rating_consent", "status", "vehicles_value", "village_id") SELECT new_values."annual_costs", new_values."avg_daily_deposit_here", new_values."committee_assessment", new_values."deposits", new_values."has_bad_loan", new_values."has_criminal_record", new_values."has_drug_gambling_flag", new_values."has_outstanding_overdue", new_values."honours_count", new_values."house_ownership", new_values."house_value", new_values."income_business", new_values."income_crops", new_values."income_livestock", new_values."income_other", new_values."income_wages", new_values."is_dishonest_debtor", new_values."livestock_value", new_values."loans_other_banks", new_values."loans_this_bank", new_values."mobile_banking_active", new_values."other_assets", new_values."other_lenders_count", new_values."overdue_count_24m", new_values."payroll_agency", clock_timestamp(), \'insert\', new_values."id", new_values."private_loans", new_values."public_record_deductions", new_values."rating_consent", new_values."status", new_values."vehicles_value", new_values."village_id" FROM ( SELECT new_values.* FROM new_values  ) AS new_values, _pgh_attached_context; RETURN NULL;', hash='a2b17fc2a442a0f8c4493ed216b018b66c1e80c3', level='STATEMENT', operation='INSERT', pgid='pgtrigger_insert_insert_eae56', referencing='REFERENCING NEW TABLE AS new_values ', table='households_household', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='household',
            trigger=pgtrigger.compiler.Trigger(name='update_update', sql=pgtrigger.compiler.UpsertTriggerSql(func='WITH _pgh_attached_context AS ( SELECT _pgh_attach_context() AS value ) INSERT INTO "households_householdhistory" ("annual_costs", "avg_daily_deposit_here", "committee_assessment", "deposits", "has_bad_loan", "has_criminal_record", "has_drug_gambling_flag", "has_outstanding_overdue", "honours_count", "house_ownership", "house_value", "income_business", "income_crops", "income_livestock", "income_other", "income_wages", "is_dishonest_debtor", "livestock_value", "loans_other_banks", "loans_this_bank", "mobile_banking_active", "other_assets", "other_lenders_count", "overdue_count_24m", "payroll_agency", "pgh_created_at", "pgh_label", "pgh_obj_id", "private_loans", "public_record_deductions", "rating_consent", "status", "vehicles_value", "village_id") SELECT new_values."annual_costs", new_values."avg_daily_deposit_here", new_values."committee_assessment", new_values."deposits", new_values."has_bad_loan", new_values."has_criminal_record", new_values."has_drug_gambling_flag", new_values."has_outstanding_overdue", new_values."honours_count", new_values."house_ownership", new_values."house_value", new_values."income_business", new_values."income_crops", new_values."income_livestock", new_values."income_other", new_values."income_wages", new_values."is_dishonest_debtor", new_values."livestock_value", new_values."loans_other_banks", new_values."loans_this_bank", new_values."mobile_banking_active", new_values."other_assets", new_values."other_lenders_count", new_values."overdue_count_24m", new_values."payroll_agency", clock_timestamp(), \'update\', new_values."id", new_values."private_loans", new_values."public_record_deductions", new_values."rating_consent", new_values."status", new_values."vehicles_value", new_values."village_id" FROM ( SELECT new_values.* FROM old_values JOIN new_values ON (old_values."id") = (new_values."id") WHERE (old_values."annual_costs" IS DISTINCT FROM (new_values."annual_costs") OR old_values."avg_daily_deposit_here" IS DISTINCT FROM (new_values."avg_daily_deposit_here") OR old_values."committee_assessment" IS DISTINCT FROM (new_values."committee_assessment") OR old_values."deposits" IS DISTINCT FROM (new_values."deposits") OR old_values."has_bad_loan" IS DISTINCT FROM (new_values."has_bad_loan") OR old_values."has_criminal_record" IS DISTINCT FROM (new_values."has_criminal_record") OR old_values."has_drug_gambling_flag" IS DISTINCT FROM (new_values."has_drug_gambling_flag") OR old_values."has_outstanding_overdue" IS DISTINCT FROM (new_values."has_outstanding_overdue") OR old_values."honours_count" IS DISTINCT FROM (new_values."honours_count") OR old_values."house_ownership" IS DISTINCT FROM (new_values."house_ownership") OR old_values."house_value" IS DISTINCT FROM (new_values."house_value") OR old_values."income_business" IS DISTINCT FROM (new_values."income_business") OR old_values."income_crops" IS DISTINCT FROM (new_values."income_crops") OR old_values."income_livestock" IS DISTINCT FROM (new_values."income_livestock") OR old_values."income_other" IS DISTINCT FROM (new_values."income_other") OR old_values."income_wages" IS DISTINCT FROM (new_values."income_wages") OR old_values."is_dishonest_debtor" IS DISTINCT FROM (new_values."is_dishonest_debtor") OR old_values."livestock_value" IS DISTINCT FROM (new_values."livestock_value") OR old_values."loans_other_banks" IS DISTINCT FROM (new_values."loans_other_banks") OR old_values."loans_this_bank" IS DISTINCT FROM (new_values."loans_this_bank") OR old_values."mobile_banking_active" IS DISTINCT FROM (new_values."mobile_banking_active") OR old_values."other_assets" IS DISTINCT FROM (new_values."other_assets") OR old_values."other_lenders_count" IS DISTINCT FROM (new_values."other_lenders_count") OR old_values."overdue_count_24m" IS DISTINCT FROM (new_values."overdue_count_24m") OR old_values."payroll_agency" IS DISTINCT FROM (new_values."payroll_agency") OR old_values."private_loans" IS DISTINCT FROM (new_values."private_loans") OR old_values."public_record_deductions" IS DISTINCT FROM (new_values."public_record_deductions") OR old_values."rating_consent" IS DISTINCT FROM (new_values."rating_consent") OR old_values."status" IS DISTINCT FROM (new_values."status") OR old_values."vehicles_value" IS DISTINCT FROM (new_values."vehicles_value") OR old_values."village_id" IS DISTINCT FROM (new_values."village_id")) ) AS new_values, _pgh_attached_context; RETURN NULL;', hash='472195543ac7fa2c430aa7b83a9e8685e028c456', level='STATEMENT', operation='UPDATE', pgid='pgtrigger_update_update_d279e', referencing='REFERENCING OLD TABLE AS old_values  NEW TABLE AS new_values ', table='households_household', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='household',
            trigger=pgtrigger.compiler.Trigger(name='delete_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func='WITH _pgh_attached_context AS ( SELECT _pgh_attach_context() AS value ) INSERT INTO "households_householdhistory" ("annual_costs", "avg_daily_deposit_here", "committee_assessment", "deposits", "has_bad_loan", "has_criminal_record", "has_drug_gambling_flag", "has_outstanding_overdue", "honours_count", "house_ownership", "house_value", "income_business", "income_crops", "income_livestock", "income_other", "income_wages", "is_dishonest_debtor", "livestock_value", "loans_other_banks", "loans_this_bank", "mobile_banking_active", "other_assets", "other_lenders_count", "overdue_count_24m", "payroll_agency", "pgh_created_at", "pgh_label", "pgh_obj_id", "private_loans", "public_record_deductions", "rating_consent", "status", "vehicles_value", "village_id") SELECT old_values."annual_costs", old_values."avg_daily_deposit_here", old_values."committee_assessment", old_values."deposits", old_values."has_bad_loan", old_values."has_criminal_record", old_values."has_drug_gambling_flag", old_values."has_outstanding_overdue", old_values."honours_count", old_values."house_ownership", old_values."house_value", old_values."income_business", old_values."income_crops", old_values."income_livestock", old_values."income_other", old_values."income_wages", old_values."is_dishonest_debtor", old_values."livestock_value", old_values."loans_other_banks", old_values."loans_this_bank", old_values."mobile_banking_active", old_values."other_assets", old_values."other_lenders_count", old_values."overdue_count_24m", old_values."payroll_agency", clock_timestamp(), \'delete\', old_values."id", old_values."private_loans", old_values."public_record_deductions", old_values."rating_consent", old_values."status", old_values."vehicles_value", old_values."village_id" FROM ( SELECT old_values.* FROM old_values  ) AS old_values, _pgh_attached_context; RETURN NULL;', hash='38585fe41e3ee91a089e81e7d1f8a00006aa908f', level='STATEMENT', operation='DELETE', pgid='pgtrigger_delete_delete_4f9c4', referencing='REFERENCING OLD TABLE AS old_values ', table='households_household', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='member',
            trigger=pgtrigger.compiler.Trigger(name='insert_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='WITH _pgh_attached_context AS ( SELECT _pgh_attach_context() AS value ) INSERT INTO "households_memberhistory" ("birth_date", "education", "health", "household_id", "is_dibao", "is_poverty_alleviated", "labour_ability", "pgh_created_at", "pgh_label", "pgh_obj_id", "relation") SELECT new_values."birth_date", new_values."education", new_values."health", new_values."household_id", new_values."is_dibao", new_values."is_poverty_alleviated", new_values."labour_ability", clock_timestamp(), \'insert\', new_values."id", new_values."relation" FROM ( SELECT new_values.* FROM new_values  ) AS new_values, _pgh_attached_context; RETURN NULL;', hash='f6e10f96edb3dffb8f83e2c018a18c4bd400a61b', level='STATEMENT', operation='INSERT', pgid='pgtrigger_insert_insert_6fdfd', referencing='REFERENCING NEW TABLE AS new_values ', table='households_member', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='member',
            trigger=pgtrigger.compiler.Trigger(name='update_update', sql=pgtrigger.compiler.UpsertTriggerSql(func='WITH _pgh_attached_context AS ( SELECT _pgh_attach_context() AS value ) INSERT INTO "households_memberhistory" ("birth_date", "education", "health", "household_id", "is_dibao", "is_poverty_alleviated", "labour_ability", "pgh_created_at", "pgh_label", "pgh_obj_id", "relation") SELECT new_values."birth_date", new_values."education", new_values."health", new_values."household_id", new_values."is_dibao", new_values."is_poverty_alleviated", new_values."labour_ability", clock_timestamp(), \'update\', new_values."id", new_values."relation" FROM ( SELECT new_values.* FROM old_values JOIN new_values ON (old_values."id") = (new_values."id") WHERE (old_values."birth_date" IS DISTINCT FROM (new_values."birth_date") OR old_values."education" IS DISTINCT FROM (new_values."education") OR old_values."health" IS DISTINCT FROM (new_values."health") OR old_values."household_id" IS DISTINCT FROM (new_values."household_id") OR old_values."is_dibao" IS DISTINCT FROM (new_values."is_dibao") OR old_values."is_poverty_alleviated" IS DISTINCT FROM (new_values."is_poverty_alleviated") OR old_values."labour_ability" IS DISTINCT FROM (new_values."labour_ability") OR old_values."relation" IS DISTINCT FROM (new_values."relation")) ) AS new_values, _pgh_attached_context; RETURN NULL;', hash='10c482351b238e7fd83aacf70f8998df2c5d9115', level='STATEMENT', operation='UPDATE', pgid='pgtrigger_update_update_733b8', referencing='REFERENCING OLD TABLE AS old_values  NEW TABLE AS new_values ', table='households_member', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='member',
            trigger=pgtrigger.compiler.Trigger(name='delete_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func='WITH _pgh_attached_context AS ( SELECT _pgh_attach_context() AS value ) INSERT INTO "households_memberhistory" ("birth_date", "education", "health", "household_id", "is_dibao", "is_poverty_alleviated", "labour_ability", "pgh_created_at", "pgh_label", "pgh_obj_id", "relation") SELECT old_values."birth_date", old_values."education", old_values."health", old_values."household_id", old_values."is_dibao", old_values."is_poverty_alleviated", old_values."labour_ability", clock_timestamp(), \'delete\', old_values."id", old_values."relation" FROM ( SELECT old_values.* FROM old_values  ) AS old_values, _pgh_attached_context; RETURN NULL;', hash='3136dfc02e1d01c2e30f14204ad16c559633483b', level='STATEMENT', operation='DELETE', pgid='pgtrigger_delete_delete_9dcdb', referencing='REFERENCING OLD TABLE AS old_values ', table='households_member', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='watchlistentitymatch',
            trigger=pgtrigger.compiler.Trigger(name='insert_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='WITH _pgh_attached_context AS ( SELECT _pgh_attach_context() AS value ) INSERT INTO "households_watchlistentitymatchhistory" ("business_entity_id", "cleared_at", "kind", "pgh_created_at", "pgh_label", "pgh_obj_id") SELECT new_values."business_entity_id", new_values."cleared_at", new_values."kind", clock_timestamp(), \'insert\', new_values."id" FROM ( SELECT new_values.* FROM new_values  ) AS new_values, _pgh_attached_context; RETURN NULL;', hash='dca4570f607076358f4c5b26281acd582131f8bd', level='STATEMENT', operation='INSERT', pgid='pgtrigger_insert_insert_ae381', referencing='REFERENCING NEW TABLE AS new_values ', table='households_watchlistentitymatch', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='watchlistentitymatch',
            trigger=pgtrigger.compiler.Trigger(name='update_update', sql=pgtrigger.compiler.UpsertTriggerSql(func='WITH _pgh_attached_context AS ( SELECT _pgh_attach_context() AS value ) INSERT INTO "households_watchlistentitymatchhistory" ("business_entity_id", "cleared_at", "kind", "pgh_created_at", "pgh_label", "pgh_obj_id") SELECT new_values."business_entity_id", new_values."cleared_at", new_values."kind", clock_timestamp(), \'update\', new_values."id" FROM ( SELECT new_values.* FROM old_values JOIN new_values ON (old_values."id") = (new_values."id") WHERE (old_values."business_entity_id" IS DISTINCT FROM (new_values."business_entity_id") OR old_values."cleared_at" IS DISTINCT FROM (new_values."cleared_at") OR old_values."kind" IS DISTINCT FROM (new_values."kind")) ) AS new_values, _pgh_attached_context; RETURN NULL;', hash='2dc7accdf062b799434cd1c263ca49408e889dd9', level='STATEMENT', operation='UPDATE', pgid='pgtrigger_update_update_2fea6', referencing='REFERENCING OLD TABLE AS old_values  NEW TABLE AS new_values ', table='households_watchlistentitymatch', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='watchlistentitymatch',
            trigger=pgtrigger.compiler.Trigger(name='delete_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func='WITH _pgh_attached_context AS ( SELECT _pgh_attach_context() AS value ) INSERT INTO "households_watchlistentitymatchhistory" ("business_entity_id", "cleared_at", "kind", "pgh_created_at", "pgh_label", "pgh_obj_id") SELECT old_values."business_entity_id", old_values."cleared_at", old_values."kind", clock_timestamp(), \'delete\', old_values."id" FROM ( SELECT old_values.* FROM old_values  ) AS old_values, _pgh_attached_context; RETURN NULL;', hash='2fb8c8b2c245dd32d32cee192011032a3fac4242', level='STATEMENT', operation='DELETE', pgid='pgtrigger_delete_delete_ef863', referencing='REFERENCING OLD TABLE AS old_values ', table='households_watchlistentitymatch', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='watchlistmatch',
            trigger=pgtrigger.compiler.Trigger(name='insert_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='WITH _pgh_attached_context AS ( SELECT _pgh_attach_context() AS value ) INSERT INTO "households_watchlistmatchhistory" ("cleared_at", "household_id", "kind", "pgh_created_at", "pgh_label", "pgh_obj_id") SELECT new_values."cleared_at", new_values."household_id", new_values."kind", clock_timestamp(), \'insert\', new_values."id" FROM ( SELECT new_values.* FROM new_values  ) AS new_values, _pgh_attached_context; RETURN NULL;', hash='9e57239e6c4f470689188d6e08227359ffa78ffb', level='STATEMENT', operation='INSERT', pgid='pgtrigger_insert_insert_e1cc9', referencing='REFERENCING NEW TABLE AS new_values ', table='households_watchlistmatch', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='watchlistmatch',
            trigger=pgtrigger.compiler.Trigger(name='update_update', sql=pgtrigger.compiler.UpsertTriggerSql(func='WITH _pgh_attached_context AS ( SELECT _pgh_attach_context() AS value ) INSERT INTO "households_watchlistmatchhistory" ("cleared_at", "household_id", "kind", "pgh_created_at", "pgh_label", "pgh_obj_id") SELECT new_values."cleared_at", new_values."household_id", new_values."kind", clock_timestamp(), \'update\', new_values."id" FROM ( SELECT new_values.* FROM old_values JOIN new_values ON (old_values."id") = (new_values."id") WHERE (old_values."cleared_at" IS DISTINCT FROM (new_values."cleared_at") OR old_values."household_id" IS DISTINCT FROM (new_values."household_id") OR old_values."kind" IS DISTINCT FROM (new_values."kind")) ) AS new_values, _pgh_attached_context; RETURN NULL;', hash='62d6732ddc06e876d985509c045567338522b95b', level='STATEMENT', operation='UPDATE', pgid='pgtrigger_update_update_aefac', referencing='REFERENCING OLD TABLE AS old_values  NEW TABLE AS new_values ', table='households_watchlistmatch', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='watchlistmatch',
            trigger=pgtrigger.compiler.Trigger(name='delete_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func='WITH _pgh_attached_context AS ( SELECT _pgh_attach_context() AS value ) INSERT INTO "households_watchlistmatchhistory" ("cleared_at", "household_id", "kind", "pgh_created_at", "pgh_label", "pgh_obj_id") SELECT old_values."cleared_at", old_values."household_id", old_values."kind", clock_timestamp(), \'delete\', old_values."id" FROM ( SELECT old_values.* FROM old_values  ) AS old_values, _pgh_attached_context; RETURN NULL;', hash='c347d8d8487461b8b03b77d1ef2b48d6adfb8f7b', level='STATEMENT', operation='DELETE', pgid='pgtrigger_delete_delete_1f812', referencing='REFERENCING OLD TABLE AS old_values ', table='households_watchlistmatch', when='AFTER')),
        ),
        migrations.AddField(
            model_name='businessentityhistory',
            name='pgh_obj',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='households.businessentity'),
        ),
        migrations.AddField(
            model_name='businessentityhistory',
            name='village',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='households.village', verbose_name='生产经营地所在村'),
        ),
        migrations.AddField(
            model_name='householdhistory',
            name='pgh_obj',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='households.household'),
        ),
        migrations.AddField(
            model_name='householdhistory',
            name='village',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='households.village', verbose_name='村/社区'),
        ),
        migrations.AddField(
            model_name='memberhistory',
            name='household',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='households.household'),
        ),
        migrations.AddField(
            model_name='memberhistory',
            name='pgh_obj',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='households.member'),
        ),
        migrations.AddField(
            model_name='watchlistentitymatchhistory',
            name='business_entity',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='households.businessentity'),
        ),
        migrations.AddField(
            model_name='watchlistentitymatchhistory',
            name='pgh_obj',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='households.watchlistentitymatch'),
        ),
        migrations.AddField(
            model_name='watchlistmatchhistory',
            name='household',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='households.household'),
        ),
        migrations.AddField(
            model_name='watchlistmatchhistory',
            name='pgh_obj',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='households.watchlistmatch'),
        ),
        migrations.AddIndex(
            model_name='businessentityhistory',
            index=models.Index(fields=['pgh_obj', 'pgh_id'], name='entity_history_as_of'),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='businessentityhistory',
            trigger=pgtrigger.compiler.Trigger(name='append_only', sql=pgtrigger.compiler.UpsertTriggerSql(func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;", hash='5efc1595820a2355df40f9acdbe7b4fe0471158e', operation='UPDATE OR DELETE', pgid='pgtrigger_append_only_3babb', table='households_businessentityhistory', when='BEFORE')),
        ),
        migrations.AddIndex(
            model_name='householdhistory',
            index=models.Index(fields=['pgh_obj', 'pgh_id'], name='household_history_as_of'),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='householdhistory',
            trigger=pgtrigger.compiler.Trigger(name='append_only', sql=pgtrigger.compiler.UpsertTriggerSql(func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;", hash='0f335d97fda3eea6e552fca951beb38e54de68a1', operation='UPDATE OR DELETE', pgid='pgtrigger_append_only_768fd', table='households_householdhistory', when='BEFORE')),
        ),
        migrations.AddIndex(
            model_name='memberhistory',
            index=models.Index(fields=['pgh_obj', 'pgh_id'], name='member_history_as_of'),
        ),
        migrations.AddIndex(
            model_name='memberhistory',
            index=models.Index(fields=['household'], name='member_history_household'),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='memberhistory',
            trigger=pgtrigger.compiler.Trigger(name='append_only', sql=pgtrigger.compiler.UpsertTriggerSql(func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;", hash='77d9d1acf5f5d8d8cd94b81cd087127401869bb9', operation='UPDATE OR DELETE', pgid='pgtrigger_append_only_c8c44', table='households_memberhistory', when='BEFORE')),
        ),
        migrations.AddIndex(
            model_name='watchlistentitymatchhistory',
            index=models.Index(fields=['business_entity'], name='watchlist_entity_history_be'),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='watchlistentitymatchhistory',
            trigger=pgtrigger.compiler.Trigger(name='append_only', sql=pgtrigger.compiler.UpsertTriggerSql(func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;", hash='c1820d02c0c81d90381d1729e07b951068dc48ff', operation='UPDATE OR DELETE', pgid='pgtrigger_append_only_e44af', table='households_watchlistentitymatchhistory', when='BEFORE')),
        ),
        migrations.AddIndex(
            model_name='watchlistmatchhistory',
            index=models.Index(fields=['pgh_obj', 'pgh_id'], name='watchlist_match_history_as_of'),
        ),
        migrations.AddIndex(
            model_name='watchlistmatchhistory',
            index=models.Index(fields=['household'], name='watchlist_match_history_hh'),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='watchlistmatchhistory',
            trigger=pgtrigger.compiler.Trigger(name='append_only', sql=pgtrigger.compiler.UpsertTriggerSql(func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;", hash='b2c36fafbd29a2a5b64f8ae6ebf0735825059d9e', operation='UPDATE OR DELETE', pgid='pgtrigger_append_only_b670d', table='households_watchlistmatchhistory', when='BEFORE')),
        ),
        migrations.RunPython(baseline_events, migrations.RunPython.noop),
    ]
