"""Pages of the reports app, mounted at ``bao-cao/`` by ``eoffice/pages/urls.py``.

``module-reports`` (the navigation's name) is the statistics page; everything else is namespaced ``reports:``.
"""

from django.urls import include, path

from . import views

reports_patterns = [
    path("so-van-ban-den/<int:year>.<str:fmt>", views.incoming_register_print, name="incoming-register"),
    path("thong-bao/", views.notifications, name="notifications"),
    path("thong-bao/<int:pk>/mo/", views.notification_open, name="notification-open"),
    path("thong-bao/doc-het/", views.notifications_read_all, name="notifications-read-all"),
]

urlpatterns = [
    path("", views.statistics_page, name="module-reports"),
    path("", include((reports_patterns, "reports"))),
]
