"""factory_boy factories shared by the whole suite."""

from datetime import timedelta

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from crowdsourcing.models import (
    Ballot,
    BallotKind,
    BallotOption,
    BallotRule,
    Category,
    Comment,
    Department,
    Project,
    ProjectStage,
    Proposal,
    ProposalState,
    Question,
    StageKind,
    User,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    display_name = factory.Sequence(lambda n: f"Житель {n}")
    email_confirmed = True
    password = factory.PostGenerationMethodCall("set_password", "pass-word-123")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if not create or not extracted:
            return
        for name in extracted:
            self.groups.add(Group.objects.get(name=name))
        self.is_staff = True
        self.save()


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    name = factory.Sequence(lambda n: f"Департамент {n}")
    slug = factory.Sequence(lambda n: f"dept-{n}")


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Категория {n}")
    slug = factory.Sequence(lambda n: f"cat-{n}")


class ProjectFactory(factory.django.DjangoModelFactory):
    """A project with every stage open around now unless stages= is given."""

    class Meta:
        model = Project
        skip_postgeneration_save = True

    department = factory.SubFactory(DepartmentFactory)
    title = factory.Sequence(lambda n: f"Проект {n}")
    slug = factory.Sequence(lambda n: f"project-{n}")

    @factory.post_generation
    def stages(self, create, extracted, **kwargs):
        if not create:
            return
        if extracted is None:
            # Every stage open: tests narrow this down when they need to.
            now = timezone.now()
            extracted = {
                kind: (now - timedelta(days=1), now + timedelta(days=1))
                for kind in StageKind.values
            }
        for kind, (start, end) in extracted.items():
            ProjectStage.objects.create(
                project=self, kind=kind, starts_at=start, ends_at=end
            )


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    project = factory.SubFactory(ProjectFactory)
    title = factory.Sequence(lambda n: f"Вопрос {n}")


class ProposalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Proposal

    question = factory.SubFactory(QuestionFactory)
    project = factory.SelfAttribute("question.project")
    author = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Предложение номер {n}")
    body = "Подробное описание предложения, достаточно длинное для проверки формы."
    state = ProposalState.PUBLISHED
    created_at = factory.LazyFunction(timezone.now)


class CommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Comment

    proposal = factory.SubFactory(ProposalFactory)
    author = factory.SubFactory(UserFactory)
    body = "Хорошая идея"
    created_at = factory.LazyFunction(timezone.now)


class BallotFactory(factory.django.DjangoModelFactory):
    """An approval ballot (1 to 3 choices) whose project's stages are open."""

    class Meta:
        model = Ballot

    project = factory.SubFactory(ProjectFactory)
    title = factory.Sequence(lambda n: f"Голосование {n}")
    kind = BallotKind.APPROVAL
    rule = BallotRule.MOST_VOTES
    min_choices = 1
    max_choices = 3


class BallotOptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BallotOption

    ballot = factory.SubFactory(BallotFactory)
    title = factory.Sequence(lambda n: f"Проект благоустройства {n}")
    cost = 100
    external_id = factory.Sequence(lambda n: f"opt-{n}")
    position = factory.Sequence(lambda n: n)
