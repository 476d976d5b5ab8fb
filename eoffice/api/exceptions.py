"""Structured errors for the API: every 4xx is ``{"error": {"code", "message", "details"}}``.

``message`` is Vietnamese, written for the person at the other end; ``code`` is stable for programs.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from eoffice.core.errors import DomainError

MESSAGES = {
    "not_authenticated": "Bạn cần đăng nhập.",
    "authentication_failed": "Thông tin đăng nhập không đúng.",
    "permission_denied": "Bạn không có quyền thực hiện thao tác này.",
    "not_found": "Không tìm thấy.",
    "method_not_allowed": "Phương thức không được hỗ trợ.",
    "invalid": "Dữ liệu không hợp lệ.",
    "parse_error": "Dữ liệu gửi lên không đọc được.",
    "unsupported_media_type": "Định dạng dữ liệu không được hỗ trợ.",
    "throttled": "Quá nhiều yêu cầu, vui lòng thử lại sau.",
}


class DomainAPIError(exceptions.APIException):
    """A :class:`~eoffice.core.errors.DomainError` as DRF sees it: its status, code, message and details."""

    def __init__(self, error: DomainError):
        super().__init__(detail=error.message, code=error.code)
        self.status_code = error.status_code
        self.details = error.details


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        exc = DomainAPIError(exc)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    code = getattr(exc, "default_code", "error")
    if isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        if isinstance(codes, str):
            code = codes
    if isinstance(exc, DomainAPIError):
        message, details = str(exc.detail), exc.details
    elif isinstance(exc, exceptions.ValidationError):
        message, details = MESSAGES["invalid"], response.data
    else:
        message, details = MESSAGES.get(code, str(getattr(exc, "detail", ""))), None
    body = {"error": {"code": code, "message": message, "details": details}}
    kept = {"WWW-Authenticate", "Retry-After", "Allow"}
    headers = {key: value for key, value in response.items() if key in kept}
    return Response(body, status=response.status_code, headers=headers)
