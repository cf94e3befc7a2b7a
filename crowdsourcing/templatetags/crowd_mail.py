"""Filters for e-mail templates, whose context travels as JSON."""

from datetime import date

from django import template
from django.template.defaultfilters import date as format_date

register = template.Library()


@register.filter(name="iso_date")
def iso_date(value, arg="j E Y"):
    """``{{ "2026-12-04"|iso_date:"j E Y" }}`` → «4 декабря 2026».

    notify() contexts carry dates as ISO strings (they may cross to a task
    worker); this turns them back into the usual Russian date. A value that
    is not an ISO date is shown as it is.
    """
    try:
        parsed = date.fromisoformat(str(value))
    except ValueError:
        return value
    return format_date(parsed, arg)
