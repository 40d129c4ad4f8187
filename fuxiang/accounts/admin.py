from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from knox.models import AuthToken

from fuxiang.accounts import roles, tokens
from fuxiang.accounts.models import User
from fuxiang.audit import AuditContext

# knox's own admin lets an administrator mint a token for anyone; tokens are revoked here, from
# the staff list, and audited.
if admin.site.is_registered(AuthToken):
    admin.site.unregister(AuthToken)


# django-axes' lockout list with Chinese column names (its other strings: locale/zh_Hans).
if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class LockoutAdmin(AccessAttemptAdmin):
    @admin.display(description="到期时间")
    def expiration(self, obj: AccessAttempt) -> object:
        return super().expiration(obj)

    @admin.display(description="状态")
    def status(self, obj: AccessAttempt) -> object:
        return super().status(obj)


@admin.register(User)
class StaffAdmin(UserAdmin):
    list_display = ("username", "full_name", "role", "employee_no", "is_active")
    list_filter = ("role", "is_active")
    search_fields = ("username", "full_name", "employee_no")
    fieldsets = (
        *UserAdmin.fieldsets,
        ("岗位", {"fields": ("role", "full_name", "employee_no")}),
    )
    add_fieldsets = (
        *UserAdmin.add_fieldsets,
        ("岗位", {"fields": ("role", "full_name", "employee_no")}),
    )
    actions = ("revoke_api_tokens",)

    def get_actions(self, request: HttpRequest):  # type: ignore[no-untyped-def]
        actions = super().get_actions(request)
        if not roles.can_revoke_api_tokens(request.user):
            actions.pop("revoke_api_tokens", None)
        return actions

    @admin.action(description="撤销所选员工的全部API令牌")
    def revoke_api_tokens(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        revoked = sum(
            tokens.api_tokens_revoke(
                user=user,
                reason=tokens.RevokeReason.HEAD_OFFICE,
                actor=request.user,
                audit=AuditContext.from_request(request),
            )
            for user in queryset
        )
        self.message_user(
            request, f"已撤销{queryset.count()}名员工的{revoked}个API令牌", messages.SUCCESS
        )
