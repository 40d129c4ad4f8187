"""``Member.is_dibao`` (pinyin) becomes ``subsistence_allowance``; the label stays 低保户. The
history table's column follows, and its triggers are rebuilt below (they name the column)."""

import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("households", "0011_more_list_indexes"),
    ]

    operations = [
        migrations.RenameField(
            model_name="member", old_name="is_dibao", new_name="subsistence_allowance"
        ),
        migrations.RenameField(
            model_name="memberhistory", old_name="is_dibao", new_name="subsistence_allowance"
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name='member',
            name='insert_insert',
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name='member',
            name='update_update',
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name='member',
            name='delete_delete',
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='member',
            trigger=pgtrigger.compiler.Trigger(name='insert_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='WITH _pgh_attached_context AS ( SELECT _pgh_attach_context() AS value ) INSERT INTO "households_memberhistory" ("birth_date", "education", "health", "household_id", "is_poverty_alleviated", "labour_ability", "pgh_created_at", "pgh_label", "pgh_obj_id", "relation", "subsistence_allowance") SELECT new_values."birth_date", new_values."education", new_values."health", new_values."household_id", new_values."is_poverty_alleviated", new_values."labour_ability", clock_timestamp(), \'insert\', new_values."id", new_values."relation", new_values."subsistence_allowance" FROM ( SELECT new_values.* FROM new_values  ) AS new_values, _pgh_attached_context; RETURN NULL;', hash='9ba0477664f8fbda45195a92bfc9929475bd92b1', level='STATEMENT', operation='INSERT', pgid='pgtrigger_insert_insert_6fdfd', referencing='REFERENCING NEW TABLE AS new_values ', table='households_member', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='member',
            trigger=pgtrigger.compiler.Trigger(name='update_update', sql=pgtrigger.compiler.UpsertTriggerSql(func='WITH _pgh_attached_context AS ( SELECT _pgh_attach_context() AS value ) INSERT INTO "households_memberhistory" ("birth_date", "education", "health", "household_id", "is_poverty_alleviated", "labour_ability", "pgh_created_at", "pgh_label", "pgh_obj_id", "relation", "subsistence_allowance") SELECT new_values."birth_date", new_values."education", new_values."health", new_values."household_id", new_values."is_poverty_alleviated", new_values."labour_ability", clock_timestamp(), \'update\', new_values."id", new_values."relation", new_values."subsistence_allowance" FROM ( SELECT new_values.* FROM old_values JOIN new_values ON (old_values."id") = (new_values."id") WHERE (old_values."birth_date" IS DISTINCT FROM (new_values."birth_date") OR old_values."education" IS DISTINCT FROM (new_values."education") OR old_values."health" IS DISTINCT FROM (new_values."health") OR old_values."household_id" IS DISTINCT FROM (new_values."household_id") OR old_values."is_poverty_alleviated" IS DISTINCT FROM (new_values."is_poverty_alleviated") OR old_values."labour_ability" IS DISTINCT FROM (new_values."labour_ability") OR old_values."relation" IS DISTINCT FROM (new_values."relation") OR old_values."subsistence_allowance" IS DISTINCT FROM (new_values."subsistence_allowance")) ) AS new_values, _pgh_attached_context; RETURN NULL;', hash='7c5802cd8a7dfd28998b7e42a8046b79dd51181a', level='STATEMENT', operation='UPDATE', pgid='pgtrigger_update_update_733b8', referencing='REFERENCING OLD TABLE AS old_values  NEW TABLE AS new_values ', table='households_member', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='member',
            trigger=pgtrigger.compiler.Trigger(name='delete_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func='WITH _pgh_attached_context AS ( SELECT _pgh_attach_context() AS value ) INSERT INTO "households_memberhistory" ("birth_date", "education", "health", "household_id", "is_poverty_alleviated", "labour_ability", "pgh_created_at", "pgh_label", "pgh_obj_id", "relation", "subsistence_allowance") SELECT old_values."birth_date", old_values."education", old_values."health", old_values."household_id", old_values."is_poverty_alleviated", old_values."labour_ability", clock_timestamp(), \'delete\', old_values."id", old_values."relation", old_values."subsistence_allowance" FROM ( SELECT old_values.* FROM old_values  ) AS old_values, _pgh_attached_context; RETURN NULL;', hash='a79012f7cb1557254a3171ef6a87332a8ab6ccc0', level='STATEMENT', operation='DELETE', pgid='pgtrigger_delete_delete_9dcdb', referencing='REFERENCING OLD TABLE AS old_values ', table='households_member', when='AFTER')),
        ),
    ]
