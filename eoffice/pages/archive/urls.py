"""Pages of files (hồ sơ) and the archive, mounted at ``ho-so/``; the empty path is the ``module-files`` page.

No namespace: ``module-files`` is a name the navigation uses; the others are prefixed ``archive-``.
"""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.index, name="module-files"),
    path("<int:pk>/", views.detail, name="archive-file"),
    path("<int:pk>/ket-thuc/", views.close, name="archive-close"),
    path("dua-vao-ho-so/", views.file_document, name="archive-file-document"),
    path("nop-luu/", views.transfer, name="archive-transfer"),
    path("kho-luu-tru/", views.archive, name="archive-archive"),
    path("het-thoi-han/", views.past_retention, name="archive-past-retention"),
    path("ban-luu-tru/<int:pk>/", views.archived_file, name="archive-archived-file"),
]
