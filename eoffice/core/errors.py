"""The one error a domain action raises when it refuses: Vietnamese ``message``, stable ``code``.

Pages show ``message`` to the person; the API (``eoffice.api.exceptions``) turns it into a structured 4xx
``{"error": {"code", "message", "details"}}`` with ``status_code``. Nothing here knows about HTTP frameworks.
"""

from __future__ import annotations


class DomainError(Exception):
    """A refused operation: ``message`` for the person (Vietnamese), ``code`` for programs, optional ``details``."""

    #: the HTTP status the API answers with (400 unless the subclass or the raiser says otherwise)
    status_code: int = 400
    default_code: str = "invalid"

    def __init__(self, message: str, code: str | None = None, details=None, status_code: int | None = None):
        super().__init__(message)
        self.message = str(message)
        self.code = code or self.default_code
        self.details = details
        if status_code:
            self.status_code = status_code

    def __str__(self) -> str:
        return self.message
