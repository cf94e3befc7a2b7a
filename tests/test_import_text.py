"""HTML reduction and probe screening used by the importers."""

import pytest

from crowdsourcing.importers.screening import PROBE_FLAG, TEST_FLAG, screen
from crowdsourcing.importers.text import html_to_text, shorten, to_text


def test_html_becomes_text_with_paragraphs_lists_and_links():
    """Blocks become line breaks; list items keep markers, links addresses."""
    html = (
        "<h2>Idea</h2><p>Plantar&nbsp;<strong>árboles</strong> &amp; bancos.</p>"
        "<ol><li>uno</li><li>dos</li></ol><p>Mapa: "
        '<a href="https://maps.example/1">aquí</a><br>fin</p>'
    )
    assert html_to_text(html) == (
        "Idea\n\nPlantar árboles & bancos.\n\n1. uno\n2. dos\n\n"
        "Mapa: aquí (https://maps.example/1)\nfin"
    )


def test_markup_that_could_run_is_dropped_or_left_as_inert_text():
    """Scripts vanish, javascript: links lose the address, tags stay text."""
    assert html_to_text("<p>a<script>alert(1)</script>b</p>") == "ab"
    assert html_to_text('<a href="javascript:alert(1)">clic</a>') == "clic"
    assert html_to_text("<p>&lt;a onclick=alert(1)&gt;</p>") == "<a onclick=alert(1)>"


def test_plain_text_keeps_its_angle_brackets_and_line_breaks():
    """Text without markup is only tidied, never parsed as HTML."""
    assert to_text("  precio < 5 euros \r\n\r\n\r\n segunda  línea ") == (
        "precio < 5 euros\n\nsegunda línea"
    )
    assert to_text("A &amp; B") == "A & B"


def test_shorten_cuts_at_a_word_and_marks_the_cut():
    """A long title is cut at a word within the limit and ends in «…»."""
    text = "word " * 40
    short = shorten(text, 30)
    assert len(short) <= 30 and short.endswith("word…")
    assert shorten("short enough", 30) == "short enough"


@pytest.mark.parametrize(
    ("title", "body", "verdict"),
    [
        ("SSRF Test 1 - a455b0", "This is a test description", PROBE_FLAG),
        ("testsia", "<a onclick=alert(1)>", PROBE_FLAG),
        ("Parque", "<script>alert(1)</script>", PROBE_FLAG),
        ("URL Test 1 - 1741429407", "", TEST_FLAG),
        ("Valid YouTube Test", "", TEST_FLAG),
        ("testsia", "testsia", TEST_FLAG),
        ("Prueba", "hola", TEST_FLAG),
        ("Tarjeta para personas con enfermedades intestinales", "", None),
        ("Campo fútbol 11 Las Tablas", "El barrio de Las Tablas...", None),
        ("Bancos", "", None),
        ("Limpieza", "Limpieza", TEST_FLAG),
    ],
)
def test_screening_tells_probes_and_tests_from_proposals(title, body, verdict):
    """Attack markers are probes; test-looking entries go to a moderator."""
    assert screen(title, body) == verdict
