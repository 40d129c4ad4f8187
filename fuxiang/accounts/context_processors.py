from __future__ import annotations

from django.http import HttpRequest

from fuxiang.accounts import roles


def role(request: HttpRequest) -> dict[str, object]:
    user = request.user
    return {
        "can_edit_archives": roles.can_edit_archives(user),
        "can_reveal": roles.can_reveal_personal_data(user),
        "can_view_audit_log": roles.can_view_audit_log(user),
        "can_view_watchlists": roles.can_manage_watchlists(user) or roles.sees_everything(user),
        "can_record_visit": roles.can_record_visit(user),
        "can_start_rating": roles.can_start_rating(user),
        "can_view_credit": roles.can_view_credit(user),
        "can_approve_override": roles.can_approve_override(user),
        "can_propose_override": roles.can_propose_override(user),
        "can_simulate": roles.can_simulate(user),
    }
