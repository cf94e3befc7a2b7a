from django.utils.functional import SimpleLazyObject

from . import permissions


def navigation(request):
    """Tell the header which work areas the signed-in person may open.

    Lazy, so that pages which do not render the header pay nothing; the
    role lookup is cached on the user for the rest of the request.
    """
    user = getattr(request, "user", None)

    def areas():
        # Residents are never staff; checking the flag first keeps their
        # pages free of role queries. Wagtail and the /expert/ views check
        # the real permissions when the link is followed.
        if user is None or not user.is_authenticated or not user.is_staff:
            return {"review": False, "admin": False}
        return {
            "review": permissions.can_use_review_area(user),
            "admin": True,
        }

    return {"work_areas": SimpleLazyObject(areas)}
