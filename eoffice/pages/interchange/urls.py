from django.urls import path

from . import views

app_name = "interchange"

urlpatterns = [
    path("edxml/", views.receive_message, name="edxml"),
    path("edxml/trang-thai/", views.receive_status, name="edxml-status"),
]
