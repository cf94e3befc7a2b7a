"""Every write to the participation domain goes through a service here.

A service checks permission and stage (permissions.py), changes rows inside
``transaction.atomic``, writes an audit entry (audit.py) and schedules side
effects (index, e-mail) with ``transaction.on_commit``.
"""


class ServiceError(Exception):
    """A refused action, with a message that can be shown to the person."""

    def __init__(self, message, code: str = "refused"):
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self):
        return str(self.message)


class PermissionDenied(ServiceError):
    def __init__(self, message, code: str = "permission_denied"):
        super().__init__(message, code)


class StageClosed(ServiceError):
    def __init__(self, message, code: str = "stage_closed"):
        super().__init__(message, code)
