"""eoffice: Hệ thống quản lý văn bản và điều hành."""

from .celery import app as celery_app

__all__ = ["celery_app"]
