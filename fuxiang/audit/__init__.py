"""The audit log: every reveal, archive change, export and login (``services.audit_record``),
with where it came from (``AuditContext``)."""

from fuxiang.audit.context import AuditContext

__all__ = ["AuditContext"]
