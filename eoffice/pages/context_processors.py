"""Template context of every page: the navigation of the signed-in person and the current page's name."""

from eoffice.orgs.navigation import navigation_for


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"navigation": []}
    current = getattr(getattr(request, "resolver_match", None), "url_name", None)
    return {"navigation": navigation_for(user), "current_nav": current}
