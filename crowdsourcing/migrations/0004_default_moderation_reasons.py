"""Fill the catalogue of moderation reasons with a starting set.

Operators edit, add or retire reasons in the admin afterwards; a retired
reason stays so that old decisions keep their text.
"""

from django.db import migrations

REASONS = [
    (
        "off-topic",
        "Не относится к вопросам проекта",
        "Предложение не отвечает ни на один из вопросов этого проекта. "
        "Его можно подать в проект, который занимается этой темой.",
    ),
    (
        "duplicate",
        "Повторяет уже опубликованное предложение",
        "Такое предложение уже есть на сайте: поддержите его или дополните "
        "в комментариях.",
    ),
    (
        "offensive",
        "Оскорбления или грубость",
        "Текст содержит оскорбления участников или других людей.",
    ),
    (
        "spam",
        "Реклама или спам",
        "Текст содержит рекламу или повторяющиеся сообщения.",
    ),
    (
        "personal-data",
        "Персональные данные",
        "Текст раскрывает персональные данные (адреса, телефоны, фамилии) "
        "людей без их согласия.",
    ),
    (
        "illegal",
        "Нарушение закона",
        "Текст призывает к нарушению закона или содержит запрещённые сведения.",
    ),
    (
        "not-city-powers",
        "Вне полномочий города",
        "Решение этого вопроса не входит в полномочия органов власти города.",
    ),
]


def forwards(apps, schema_editor):
    ModerationReason = apps.get_model("crowdsourcing", "ModerationReason")
    for code, title, explanation in REASONS:
        ModerationReason.objects.get_or_create(
            code=code, defaults={"title": title, "explanation": explanation}
        )


def backwards(apps, schema_editor):
    ModerationReason = apps.get_model("crowdsourcing", "ModerationReason")
    ModerationReason.objects.filter(
        code__in=[code for code, _title, _text in REASONS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [('crowdsourcing', '0003_domain')]

    operations = [migrations.RunPython(forwards, backwards)]
