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
    Flag,
    ModerationReason,
    Project,
    ProjectStage,
    Proposal,
    ProposalState,
    Question,
    Rating,
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
    password = factory.django.Password("pass-word-123")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if not create or not extracted:
            return
        for name in extracted:
            self.groups.add(Group.objects.get(name=name))
        self.is_staff = True

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        # set_password only changes the instance; without this save the
        # stored hash differs and force_login's session is thrown away.
        if create:
            instance.save()


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


class ModerationReasonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ModerationReason
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"reason-{n}")
    title = factory.Sequence(lambda n: f"Нарушение правил {n}")
    explanation = "Предложение не относится к вопросам проекта."


class RatingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Rating

    proposal = factory.SubFactory(ProposalFactory)
    user = factory.SubFactory(UserFactory)
    value = 1
    created_at = factory.LazyFunction(timezone.now)


class FlagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Flag

    comment = factory.SubFactory(CommentFactory)
    user = factory.SubFactory(UserFactory)
    reason = Flag.Reason.SPAM


# Expert selection (issue 4)


class CriterionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "crowdsourcing.Criterion"

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"Критерий {n}")
    weight = 1
    scale_min = 1
    scale_max = 5
    position = factory.Sequence(lambda n: n)


class ExpertAssignmentFactory(factory.django.DjangoModelFactory):
    """A bare assignment row; tests that need access use the services."""

    class Meta:
        model = "crowdsourcing.ExpertAssignment"

    proposal = factory.SubFactory(ProposalFactory, state=ProposalState.UNDER_REVIEW)
    expert = factory.SubFactory(UserFactory)
    due_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=7))


# --- CMS and implementation tracking (issue 6) ---


def make_image(title: str = "Фото", width: int = 640, height: int = 480):
    """A real PNG stored as a Wagtail image, so renditions can be made."""
    from io import BytesIO

    from django.core.files.images import ImageFile
    from PIL import Image as PILImage
    from wagtail.images.models import Image

    buffer = BytesIO()
    PILImage.new("RGB", (width, height), (120, 160, 90)).save(buffer, "PNG")
    return Image.objects.create(title=title, file=ImageFile(buffer, name="photo.png"))


class ImplementationUpdateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "crowdsourcing.ImplementationUpdate"

    proposal = factory.SubFactory(ProposalFactory, state=ProposalState.WINNER)
    status = "planned"
    happened_on = factory.LazyFunction(timezone.localdate)
    note = "Подрядчик определён, работы начнутся весной."


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
