"""The Qt-free half of working on a workspace: :class:`WorkspaceSession` (lifecycle, dirty/autosave
bookkeeping, recovery files, source checks) and :class:`GuardedAuditLog` (an audit log that never takes the
app down)."""

from workbench.session.audit_log import GuardedAuditLog
from workbench.session.session import CREATED, OPENED, RECOVERED, WorkspaceSession, problems_of

__all__ = ["CREATED", "OPENED", "RECOVERED", "GuardedAuditLog", "WorkspaceSession", "problems_of"]
