"""import_consul on the real Decide Madrid files and on broken inputs."""

import csv

import pytest
from django.core.management import CommandError, call_command

from crowdsourcing.importers import ImportFileError, import_consul
from crowdsourcing.importers.datasets import DECIDE_MADRID_ATTRIBUTION, decide_madrid
from crowdsourcing.models import (
    Comment,
    CommentPlacement,
    CommentState,
    ImportedComment,
    ImportedProposal,
    ModerationDecision,
    Project,
    Proposal,
    ProposalState,
    Rating,
    User,
)

MADRID = decide_madrid()
needs_data = pytest.mark.skipif(
    not MADRID["proposals_2015_2019"].is_file(),
    reason="the shared data sets (../shared/data) are absent",
)


def _import_2015(**kwargs):
    return import_consul(
        MADRID["proposals_2015_2019"],
        comments_file=MADRID["comments_2015_2019"],
        hierarchy_file=MADRID["hierarchy_2015_2019"],
        project_slug="madrid",
        source_label="Decide Madrid",
        source_timezone="Europe/Madrid",
        attribution=DECIDE_MADRID_ATTRIBUTION,
        **kwargs,
    )


def _source_parents() -> dict[str, str]:
    with MADRID["comments_2015_2019"].open(newline="", encoding="utf-8") as handle:
        return {row["id"]: row["parentId"] for row in csv.DictReader(handle)}


@needs_data
@pytest.mark.django_db
def test_madrid_2015_2019_keeps_every_comment_with_its_thread():
    """80 proposals, 5,633 comments; parents are the file's or an ancestor."""
    summary = _import_2015()

    project = Project.objects.get(slug="madrid")
    assert project.attribution == DECIDE_MADRID_ATTRIBUTION
    assert Proposal.objects.filter(project=project).count() == 80
    assert set(Proposal.objects.values_list("language", flat=True)) == {"es"}
    comments = Comment.objects.filter(proposal__project=project)
    assert comments.count() == 5633
    assert max(comments.values_list("depth", flat=True)) == Comment.MAX_DEPTH

    source_parent = _source_parents()
    records = ImportedComment.objects.select_related("comment__parent")
    placements = {p: 0 for p in CommentPlacement.values}
    for record in records:
        comment = record.comment
        placements[record.placement] += 1
        assert record.source_parent_id == (
            ""
            if source_parent[comment.external_id] == "-1"
            else source_parent[comment.external_id]
        )
        if record.placement == CommentPlacement.AS_IN_SOURCE:
            expected = record.source_parent_id or None
            assert (comment.parent.external_id if comment.parent else None) == expected
        elif record.placement == CommentPlacement.PARENT_MISSING:
            assert comment.parent is None and comment.depth == 0
            assert record.source_parent_id not in source_parent
        else:
            # Attached to the ancestor at depth 3 of its own source branch.
            assert comment.depth == Comment.MAX_DEPTH
            assert comment.parent.depth == Comment.MAX_DEPTH - 1
            ancestor = record.source_parent_id
            chain = []
            while ancestor != "-1" and ancestor in source_parent:
                chain.append(ancestor)
                ancestor = source_parent[ancestor]
            assert comment.parent.external_id in chain
            assert record.source_depth == len(chain) > Comment.MAX_DEPTH
    assert placements == {
        CommentPlacement.AS_IN_SOURCE: 5633 - 439 - 268,
        CommentPlacement.DEPTH_LIMITED: 439,
        CommentPlacement.PARENT_MISSING: 268,
    }

    # Counts come from rows; the stored counter is kept beside them.
    seven = Proposal.objects.with_counts().get(project=project, external_id="7")
    assert Comment.objects.filter(proposal=seven).count() == 178
    hidden = Comment.objects.filter(proposal=seven, state=CommentState.HIDDEN).count()
    assert seven.comment_count == 178 - hidden
    record = ImportedProposal.objects.get(proposal=seven)
    assert (record.stored_comment_count, record.stored_support_count) == (188, 6560)
    assert seven.support_count == 0 and not Rating.objects.exists()
    assert any("53 предложений" in note for note in summary.notes)
    empty = ModerationDecision.objects.filter(comment__isnull=False)
    assert empty.count() == comments.filter(state=CommentState.HIDDEN).count() == 62
    assert set(empty.values_list("reason__code", flat=True)) == {"empty"}

    author = Proposal.objects.get(project=project, external_id="7").author
    assert author.display_name == "Участник Decide Madrid 9884"
    assert author.is_pseudonymous and not author.has_usable_password()
    reply = Comment.objects.get(proposal=seven, external_id="17127")
    assert reply.author == author  # the proposal's author answering in the thread

    again = _import_2015()
    assert again.created_total == 0
    assert Comment.objects.count() == 5633


@needs_data
@pytest.mark.django_db
def test_madrid_2024_2025_reduces_html_and_keeps_dirt_off_the_public_site():
    """2,738 proposals; probes, tests and duplicates stay out of public."""
    summary = import_consul(
        MADRID["proposals_2024_2025"],
        project_slug="madrid",
        source_label="Decide Madrid",
        source_timezone="Europe/Madrid",
        language="es",
    )

    proposals = Proposal.objects.filter(project__slug="madrid")
    assert proposals.count() == 2738
    assert not proposals.filter(body__contains="<p>").exists()
    assert not proposals.filter(body__contains="&amp;").exists()
    study = proposals.get(external_id="35577")
    assert study.title == "Sala estudio Tetuán"
    assert study.body.startswith("En el barrio de Tetuán la sala de estudio")
    assert "\n\nCada vez que me he tenido" in study.body

    probe = proposals.get(external_id="36197")
    assert probe.state == ProposalState.REJECTED
    assert probe.body == "<a onclick=alert(1)>"  # now inert text, shown escaped
    assert probe.moderation_decisions.get().reason.code == "probe"
    ssrf = proposals.filter(title__icontains="ssrf")
    assert ssrf.count() > 50
    assert set(ssrf.values_list("state", flat=True)) == {ProposalState.REJECTED}
    test = proposals.get(external_id="37833")  # "Valid YouTube Test", no text
    assert test.state == ProposalState.SUBMITTED

    # Six identical copies; the one residents supported (14) stays public.
    ring = proposals.filter(external_id__in=[str(i) for i in range(35734, 35740)])
    keeper = ring.get(external_id="35739")
    assert keeper.state == ProposalState.PUBLISHED
    copies = ring.exclude(pk=keeper.pk)
    assert set(copies.values_list("state", flat=True)) == {ProposalState.REJECTED}
    assert set(
        ImportedProposal.objects.filter(proposal__in=copies).values_list(
            "duplicate_of", flat=True
        )
    ) == {keeper.pk}

    retired = proposals.get(external_id="37642")
    assert retired.state == ProposalState.HIDDEN
    assert retired.moderation_decisions.get().reason.code == "withdrawn"

    public = Proposal.objects.public().filter(project__slug="madrid")
    assert not public.filter(title__iregex=r"(^|\W)(test|ssrf)").exists()
    assert public.count() == proposals.filter(state=ProposalState.PUBLISHED).count()
    assert public.count() == 2738 - 132 - 24 - 58 - 23 == 2501
    assert any("точные повторы" in note and "58" in note for note in summary.notes)
    assert (
        User.objects.filter(display_name="Автор не указан (Decide Madrid)").count() == 1
    )

    again = import_consul(MADRID["proposals_2024_2025"], project_slug="madrid")
    assert again.created_total == 0
    assert Proposal.objects.count() == 2738


PROPOSALS = (
    '"id";"title";"description";"cached_votes_up";"created_at";"retired_at"\r\n'
    '"1";"Más árboles en la calle";"<p>Plantar <strong>árboles</strong>.</p>'
    '<ul><li>uno</li><li>dos</li></ul>";"3";"31/01/2024";""\r\n'
    '"2";"Un banco nuevo";"Texto\r\nen dos líneas";"0";"01/02/2024";""\r\n'
)
COMMENTS = (
    "id,parentId,proposalId,userId,date,time,text\n"
    "10,-1,1,7,2024-02-01,0 days 10:00:00,Primero\n"
    "11,10,1,8,2024-02-01,0 days 11:00:00,Respuesta\n"
    "12,99,2,8,2024-02-02,0 days 11:00:00,Respuesta a un borrado\n"
)
HIERARCHY = "proposalId,commendId,parentId\n1,1,0\n1,10,-1\n1,11,10\n2,12,99\n"


def _files(tmp_path, proposals=PROPOSALS, comments=COMMENTS, hierarchy=HIERARCHY):
    paths = {}
    for name, text in (
        ("proposals.csv", proposals),
        ("comments.csv", comments),
        ("hierarchy.csv", hierarchy),
    ):
        path = tmp_path / name
        path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
        paths[name] = path
    return paths


@pytest.mark.django_db
def test_small_export_with_bom_semicolons_and_multiline_fields(tmp_path):
    """Delimiter, BOM, CRLF, day-first dates, HTML and an orphan reply."""
    files = _files(tmp_path)
    import_consul(
        files["proposals.csv"],
        comments_file=files["comments.csv"],
        hierarchy_file=files["hierarchy.csv"],
        project_slug="small",
        source_timezone="Europe/Madrid",
        language="es",
    )
    first = Proposal.objects.get(external_id="1")
    assert first.body == "Plantar árboles.\n\n• uno\n• dos"
    assert first.created_at.isoformat() == "2024-01-30T23:00:00+00:00"
    assert Proposal.objects.get(external_id="2").body == "Texto\nen dos líneas"
    reply = Comment.objects.get(external_id="11")
    assert (reply.parent.external_id, reply.depth) == ("10", 1)
    orphan = Comment.objects.get(external_id="12")
    assert orphan.parent is None
    assert orphan.import_record.placement == CommentPlacement.PARENT_MISSING
    assert orphan.import_record.source_parent_id == "99"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "options", "where"),
    [
        (
            {"proposals": PROPOSALS.replace('"title";', '"titulo";')},
            {},
            "proposals.csv, строка 1: нет столбца «title»",
        ),
        (
            {"proposals": PROPOSALS.replace('"0";"01/02/2024"', '"many";"01/02/2024"')},
            {},
            "proposals.csv, строка 3: в столбце «cached_votes_up» ожидалось целое",
        ),
        (
            # Record 2's text spans lines 3 and 4, so record 3 starts on 5.
            {"proposals": PROPOSALS + '"3";"Otra fuente";"";"-2";"01/02/2024";""\r\n'},
            {},
            "proposals.csv, строка 5: в столбце «cached_votes_up» отрицательное",
        ),
        (
            {"comments": COMMENTS},
            {"orphan_replies": "refuse"},
            "comments.csv, строка 4: комментарий 12 отвечает на комментарий 99, "
            "которого нет в выгрузке",
        ),
        (
            {"hierarchy": HIERARCHY + "2,13,-1\n"},
            {},
            "hierarchy.csv, строка 6: комментария 13 нет в файле комментариев",
        ),
        (
            {"hierarchy": HIERARCHY.replace("1,11,10", "1,11,-1")},
            {},
            "hierarchy.csv, строка 4: родитель комментария 11 здесь —, а в файле "
            "комментариев 10",
        ),
        (
            {"comments": COMMENTS.replace("12,99,2", "12,10,2")},
            {"hierarchy_file": None},
            "comments.csv, строка 4: комментарий 12 отвечает на комментарий 10 "
            "другого предложения",
        ),
        (
            {"comments": COMMENTS.replace("0 days 11:00:00,Respuesta\n", "tarde,R\n")},
            {"hierarchy_file": None},
            "comments.csv, строка 3: не время суток",
        ),
    ],
    ids=[
        "missing-column",
        "bad-number",
        "negative-after-multiline",
        "unknown-parent",
        "unknown-comment",
        "contradicting-parent",
        "parent-in-other-proposal",
        "bad-time",
    ],
)
def test_malformed_files_are_refused_with_file_and_line(
    tmp_path, change, options, where
):
    """Nothing is written when any file is malformed; the error says where."""
    files = _files(
        tmp_path,
        proposals=change.get("proposals", PROPOSALS),
        comments=change.get("comments", COMMENTS),
        hierarchy=change.get("hierarchy", HIERARCHY),
    )
    kwargs = {
        "comments_file": files["comments.csv"],
        "hierarchy_file": files["hierarchy.csv"],
        "project_slug": "bad",
        "language": "es",
        **options,
    }
    users_before = User.objects.count()

    with pytest.raises(ImportFileError) as excinfo:
        import_consul(files["proposals.csv"], **kwargs)

    assert str(excinfo.value).startswith(where)
    assert not Project.objects.filter(slug="bad").exists()
    assert Proposal.objects.count() == Comment.objects.count() == 0
    assert User.objects.count() == users_before


@pytest.mark.django_db
def test_file_in_another_encoding_is_refused_with_its_line(tmp_path):
    """A Latin-1 file read as UTF-8 is refused with its line and a hint."""
    path = tmp_path / "latin.csv"
    path.write_bytes(
        "id,title,created_at\n1,Un árbol más,2024-01-01\n".encode("latin-1")
    )
    with pytest.raises(ImportFileError) as excinfo:
        import_consul(path, project_slug="latin")
    assert str(excinfo.value).startswith("latin.csv, строка 2: байт 0xe1")
    assert "--encoding" in str(excinfo.value)

    import_consul(path, project_slug="latin", encoding="latin-1", language="es")
    assert Proposal.objects.get().title == "Un árbol más"


@pytest.mark.django_db
def test_command_reports_error_and_summary(tmp_path, capsys):
    """import_consul prints its summary; a bad file becomes a CommandError."""
    files = _files(tmp_path)
    call_command(
        "import_consul",
        str(files["proposals.csv"]),
        "--comments",
        str(files["comments.csv"]),
        "--hierarchy",
        str(files["hierarchy.csv"]),
        "--project",
        "small",
        "--language",
        "es",
    )
    out = capsys.readouterr()
    assert "предложения: Опубликовано" in out.out
    assert "начинают свою ветку" in out.out
    assert "комментарии" in out.err

    with pytest.raises(CommandError) as excinfo:
        call_command(
            "import_consul",
            str(files["proposals.csv"]),
            "--comments",
            str(files["comments.csv"]),
            "--orphan-replies",
            "refuse",
            "--project",
            "other",
            "--no-progress",
        )
    assert "comments.csv, строка 4" in str(excinfo.value)
    assert not Project.objects.filter(slug="other").exists()


@pytest.mark.django_db
def test_category_and_district_columns_are_used_when_present(tmp_path):
    """Tags become categories; districts match by name or are reported."""
    path = tmp_path / "tagged.csv"
    path.write_text(
        "id,title,description,created_at,tag_list,geozone\n"
        '1,Parque nuevo,Texto,2024-01-01,"Medio ambiente, parques",Арбат\n'
        "2,Otro parque,Texto,2024-01-02,Medio ambiente,Centro\n",
        encoding="utf-8",
    )
    summary = import_consul(path, project_slug="tagged", language="es")

    first, second = Proposal.objects.order_by("external_id")
    assert first.category.name == second.category.name == "Medio ambiente"
    assert first.district.name == "Арбат"
    assert second.district is None
    assert any("Centro" in note for note in summary.notes)
