from django import template

from ..money import format_money

register = template.Library()


@register.filter(name="money")
def money(amount, currency=""):
    """``{{ option.cost|money:ballot.currency }}`` → «1 250 000 ₽»."""
    return format_money(amount, currency)
