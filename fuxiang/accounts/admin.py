from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from fuxiang.accounts.models import User


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
