"""The audit log as an auditor reads it: who (name and account), what, on which object (its
Chinese name, with a link to its page), and the details as labelled Chinese fields.

Apps are reached through the app registry and URL names only (``fuxiang`` imports no app).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.urls import NoReverseMatch, reverse

from fuxiang.audit.models import AuditAction, AuditEvent

# object type → the page that shows one (URL name taking the object's pk)
OBJECT_PAGES = {
    "households.household": "households:detail",
    "households.businessentity": "households:entity_detail",
    "households.importjob": "households:import_job",
    "households.exportjob": "households:export_job",
    "rating.ratingrun": "rating:run",
    "rating.scorecard": "rating:scorecard",
    "credit.creditline": "credit:line",
    "credit.creditpolicyversion": "credit:policy",
    "credit.creditoverride": "credit:override",
    "credit.creditsimulation": "credit:simulation",
    "loans.loanapplication": "loans:application",
    "loans.loancontract": "loans:contract",
    "loans.loan": "loans:loan",
    "qrlookup.officerrequest": "qrlookup:request",
}

# detail keys → labels (a key not listed here is shown as it is)
DETAIL_LABELS = {
    "fields": "修改的项目",
    "changes": "修改内容",
    "username": "登录账号",
    "reason": "原因",
    "note": "备注",
    "review_note": "审批意见",
    "kind": "类型",
    "version": "版本",
    "source": "来源",
    "scope": "范围",
    "scope_id": "范围编号",
    "scope_label": "范围",
    "stage": "环节",
    "rows": "行数",
    "total_rows": "总行数",
    "rejected_rows": "拒绝行数",
    "import": "导入结果",
    "import_job": "导入任务",
    "dry_run": "仅校验未写入",
    "via": "途径",
    "row": "行号",
    "key": "依据",
    "filter": "筛选条件",
    "actor": "操作人账号",
    "action": "操作",
    "target": "对象编号",
    "date_from": "开始日期",
    "date_to": "结束日期",
    "outside_scope": "在本人负责范围外",
    "household": "农户档案编号",
    "member": "家庭成员编号",
    "village": "村编号",
    "channel": "渠道",
    "status": "状态",
    "from": "原状态",
    "to": "新状态",
    "before": "修改前",
    "after": "修改后",
    "on": "日期",
    "as_of": "日期",
    "effective_from": "生效日期",
    "expired": "到期数",
    "amount": "金额（元）",
    "principal": "本金（元）",
    "interest": "利息（元）",
    "contract": "合同编号",
    "loan": "借据编号",
    "reference": "流水号",
    "method": "方式",
    "purpose": "用途",
    "approved": "是否批准",
    "automatic": "自动",
    "edit": "修改",
    "outcome": "办理结果",
    "tokens": "令牌数",
    "active_key": "当前密钥",
    "re_encrypted": "重新加密条数",
    "households": "农户数",
    "entities": "经营主体数",
    "lines": "授信额度数",
    "rated": "已评级",
    "knocked_out": "准入否决",
    "incomplete": "信息不全",
    "skipped": "跳过",
    "suspended": "冻结",
    "restored": "解冻",
    "retired": "停用",
    "created": "新建",
    "updated": "更新",
    "unchanged": "无变化",
    "grades": "等级分布",
    "cards": "评分卡",
    "chunks": "分片数",
    "run": "评级任务",
    "policy": "授信政策",
    "simulation": "模拟测算",
    "product_version": "产品版本",
    "verification": "身份验证",
    "unmasked": "显示完整信息",
    "applied": "已入账",
    "repeated": "重复",
    "refused": "拒绝",
    "instalments": "逾期期数",
    "loans_overdue": "转逾期借据",
    "loans_bad": "转不良借据",
    "contracts_ended": "结清合同",
    "archives_updated": "回写档案",
}
VALUE_LABELS = {
    "via": {
        "import": "批量导入",
        "command": "命令行",
        "household_create": "新建农户",
        "member_create": "新增成员",
        "member_update": "修改成员",
        "entity_create": "新建经营主体",
        "entity_update": "修改经营主体",
        "api": "接口",
    },
    "scope": {"county": "全县", "township": "乡镇", "village": "村", "household": "单户"},
    "key": {"uscc": "统一社会信用代码", "legal_rep_id": "法定代表人身份证号码"},
}
FIELD_LABELS = {  # names in "fields" that are no model field of the object
    "members": "家庭成员",
    "id_number": "身份证号码",
    "phone": "手机号码",
    "legal_rep_id_number": "法定代表人身份证号码",
    "owner_households": "所属农户",
    "contact_phone": "联系电话",
}


@dataclass(frozen=True)
class Detail:
    label: str
    value: str


@dataclass(frozen=True)
class EventView:
    event: AuditEvent
    actor: str
    action: str
    object_kind: str
    object_label: str
    object_url: str
    details: list[Detail]

    @property
    def details_text(self) -> str:
        return "；".join(f"{d.label}：{d.value}" for d in self.details)


def _model(target_type: str) -> Any:
    try:
        return apps.get_model(target_type)
    except (LookupError, ValueError):
        return None


def _field_label(model: Any, name: str) -> str:
    if name in FIELD_LABELS:
        return FIELD_LABELS[name]
    if model is not None:
        try:
            return str(model._meta.get_field(name).verbose_name)
        except FieldDoesNotExist:
            pass
    return name


def _value(key: str, value: Any, model: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if value is None or value == "":
        return "—"
    if key == "fields" and isinstance(value, list):
        return "、".join(_field_label(model, str(v)) for v in value)
    if isinstance(value, Mapping):
        return "，".join(
            f"{DETAIL_LABELS.get(str(k), _field_label(model, str(k)))} {_value(str(k), v, model)}"
            for k, v in value.items()
        )
    if isinstance(value, list | tuple):
        return "、".join(_value(key, v, model) for v in value)
    return VALUE_LABELS.get(key, {}).get(str(value), str(value))


def details_of(event: AuditEvent) -> list[Detail]:
    model = _model(event.target_type)
    return [
        Detail(DETAIL_LABELS.get(key, key), _value(key, value, model))
        for key, value in (event.details or {}).items()
    ]


def _object_url(target_type: str, target_id: str, members: Mapping[str, int]) -> str:
    name = OBJECT_PAGES.get(target_type)
    pk: Any = target_id
    if target_type == "households.member":  # a member is shown on its household's page
        name, pk = "households:detail", members.get(target_id)
    if not name or not pk:
        return ""
    try:
        return reverse(name, args=[int(pk)])
    except (NoReverseMatch, ValueError):
        return ""


def _members_households(events: Sequence[AuditEvent]) -> dict[str, int]:
    ids = {e.target_id for e in events if e.target_type == "households.member" and e.target_id}
    member = _model("households.member")
    if not ids or member is None:
        return {}
    wanted = [int(i) for i in ids if i.isdigit()]
    return {
        str(pk): household
        for pk, household in member.objects.filter(pk__in=wanted).values_list("pk", "household_id")
    }


def _actor(event: AuditEvent) -> str:
    user = event.actor
    if user is not None:
        name = getattr(user, "display_name", "") or user.get_username()
        return f"{name}（{user.get_username()}）" if name != user.get_username() else name
    return event.actor_label or "系统"


def _object(event: AuditEvent) -> tuple[str, str]:
    """(kind, label) of the object; a sign-in's object is the account."""
    if event.action in {AuditAction.LOGIN, AuditAction.LOGOUT}:
        return "账号", event.actor_label or (event.actor.get_username() if event.actor else "")
    if event.action == AuditAction.LOGIN_FAILED:
        return "账号", str((event.details or {}).get("username", ""))
    model = _model(event.target_type)
    kind = str(model._meta.verbose_name) if model is not None else ""
    label = event.target_label or (f"{event.target_id}号" if event.target_id else "")
    return kind, label


def present(events: Iterable[AuditEvent]) -> list[EventView]:
    events = list(events)
    members = _members_households(events)
    views = []
    for event in events:
        kind, label = _object(event)
        details = details_of(event)
        if event.action == AuditAction.LOGIN_FAILED:
            details = [d for d in details if d.label != DETAIL_LABELS["username"]]
        views.append(
            EventView(
                event=event,
                actor=_actor(event),
                action=str(event.get_action_display()),
                object_kind=kind,
                object_label=label,
                object_url=_object_url(event.target_type, event.target_id, members),
                details=details,
            )
        )
    return views
