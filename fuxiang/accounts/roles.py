"""What each role may do. Which rows a role may see is decided in the apps' selectors."""

from __future__ import annotations

from typing import Any

from fuxiang.accounts.models import Role


def _role(user: Any) -> str | None:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    return user.role


def sees_everything(user: Any) -> bool:
    """Head office and auditors see the whole county; others see their grids or branch."""
    return _role(user) in {Role.HEAD_OFFICE, Role.AUDITOR}


def can_edit_archives(user: Any) -> bool:
    """Officers edit their own grids' archives; head office may correct any."""
    return _role(user) in {Role.OFFICER, Role.HEAD_OFFICE}


def can_reveal_personal_data(user: Any) -> bool:
    """Seeing an unmasked ID/phone/name is for staff who serve the household; audited."""
    return _role(user) in {Role.OFFICER, Role.BRANCH_MANAGER, Role.HEAD_OFFICE}


def can_manage_watchlists(user: Any) -> bool:
    """Official lists (失信, 犯罪, 低保, ...) arrive at head office and are imported there."""
    return _role(user) == Role.HEAD_OFFICE


def can_view_audit_log(user: Any) -> bool:
    return _role(user) in {Role.AUDITOR, Role.HEAD_OFFICE}


def can_record_visit(user: Any) -> bool:
    return _role(user) == Role.OFFICER


def can_start_rating(user: Any) -> bool:
    """Head office rates any scope; a branch manager their branch's grids and villages."""
    return _role(user) in {Role.HEAD_OFFICE, Role.BRANCH_MANAGER}


def can_approve_policy(user: Any) -> bool:
    """Policy (scorecards, later pricing) is head office's: drafting and approving both; the
    maker-checker rule (the approver is not the submitter) is enforced by the services."""
    return _role(user) == Role.HEAD_OFFICE


def can_view_credit(user: Any) -> bool:
    """Credit lines and policies are read by every staff role (within their scope)."""
    return _role(user) is not None


def can_propose_override(user: Any) -> bool:
    """The officer who serves the household proposes a correction (maker)."""
    return _role(user) == Role.OFFICER


def can_approve_override(user: Any) -> bool:
    """The branch manager (or head office) approves or rejects it (checker), never their own."""
    return _role(user) in {Role.BRANCH_MANAGER, Role.HEAD_OFFICE}


def can_suspend_line(user: Any) -> bool:
    """Suspending, restoring or revoking a line is a manager's decision."""
    return _role(user) in {Role.BRANCH_MANAGER, Role.HEAD_OFFICE}


def can_simulate(user: Any) -> bool:
    """What-if runs: head office on any card or policy; managers only on approved ones."""
    return _role(user) in {Role.HEAD_OFFICE, Role.BRANCH_MANAGER}


def can_revoke_api_tokens(user: Any) -> bool:
    """Head office revokes anyone's API tokens (a lost phone, someone who left); everyone may
    revoke their own."""
    return _role(user) == Role.HEAD_OFFICE


def can_serve_borrowers(user: Any) -> bool:
    """The officer who serves a borrower applies for them in person, reviews their 房抵贷
    application, withdraws an application on their behalf."""
    return _role(user) == Role.OFFICER


def can_record_repayment(user: Any) -> bool:
    """Repayments taken at the counter are entered by staff who serve the borrower."""
    return _role(user) in {Role.OFFICER, Role.BRANCH_MANAGER, Role.HEAD_OFFICE}


def can_import_repayments(user: Any) -> bool:
    """The core-banking repayment file arrives at head office."""
    return _role(user) == Role.HEAD_OFFICE
