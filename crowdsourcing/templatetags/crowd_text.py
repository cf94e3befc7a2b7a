"""Template filters for resident text (see crowdsourcing/text.py)."""

from django import template

from ..text import plain_excerpt, render_resident_text

register = template.Library()


@register.filter(name="resident_text", is_safe=True)
def resident_text(value):
    return render_resident_text(value)


@register.filter(name="excerpt")
def excerpt(value, length=200):
    return plain_excerpt(value, int(length))
