from django.urls import path

from . import views

app_name = "incoming"

urlpatterns = [
    path("vao-so/", views.register, name="register"),
    path("so-den/", views.register_list, name="register-list"),
    path("cho-tiep-nhan/<int:pk>/", views.receipt_detail, name="receipt"),
    path("cho-tiep-nhan/<int:pk>/tra-lai/", views.receipt_return, name="receipt-return"),
    path("cho-tiep-nhan/<int:pk>/tep/<int:file_pk>/", views.receipt_file, name="receipt-file"),
    path("<int:pk>/", views.document, name="document"),
    path("<int:pk>/tep/<int:file_pk>/", views.document_file, name="file"),
    path("<int:pk>/viec/<int:item_pk>/", views.act, name="act"),
    path("<int:pk>/viec/<int:item_pk>/chuyen/", views.redirect_work, name="redirect-work"),
    path("<int:pk>/gia-han/", views.extend, name="extend"),
]
