"""Pages of the foundation: the home page and the module pages that later issues fill in."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from .navigation import NAVIGATION, navigation_for


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "orgs/home.html", {"items": navigation_for(request.user)})


def module_page(key: str):
    """A module's page while the module is being built: says so plainly instead of pretending."""
    item = next(item for item in NAVIGATION if item.key == key)

    @login_required
    def view(request: HttpRequest) -> HttpResponse:
        allowed = item in navigation_for(request.user)
        status = 200 if allowed else 403
        return render(
            request,
            "orgs/module.html",
            {"item": item, "allowed": allowed, "message": _("Chức năng này đang được xây dựng.")},
            status=status,
        )

    view.__name__ = f"module_{key}"
    return view
