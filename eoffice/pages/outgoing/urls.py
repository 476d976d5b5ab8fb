from django.urls import path

from . import views

urlpatterns = [
    path("", views.index, name="module-outgoing"),
    path("soan-thao/", views.create, name="outgoing-create"),
    path("so-dang-ky/", views.register_page, name="outgoing-register"),
    path("lo/cap-so-phat-hanh/", views.issue_batch, name="outgoing-issue-batch"),
    path("lo/trang-thai/", views.batch_status, name="outgoing-batch-status"),
    path("<int:pk>/", views.detail, name="outgoing-detail"),
    path("<int:pk>/tep/", views.file, name="outgoing-file"),
    path("<int:pk>/ky-so/chuan-bi/", views.two_step_prepare, name="outgoing-two-step-prepare"),
    path("<int:pk>/ky-so/hoan-tat/", views.two_step_complete, name="outgoing-two-step-complete"),
    path("<int:pk>/<slug:action>/", views.act, name="outgoing-act"),
]
