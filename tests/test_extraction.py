"""extract_html on pages whose text is mojibake: UTF-8 read as Latin-1, repaired before trafilatura drops its bytes."""

from __future__ import annotations

from flows.reading.extraction import extract_html, has_c1_control, repair_mojibake

STORY = [
    "The harbour’s new breakwater opened on Tuesday – two years late – and the port authority’s chief was pleased.",
    "Fishing boats queued at the entrance from dawn, and the first ferry left for the mainland at nine o’clock.",
    "Engineers had inspected the wall overnight and found only minor damage to the café on the outer pier.",
    "The authority said repairs would start next week and would not disrupt the ferry timetable this spring.",
]
PAGE = (
    "<html><head><title>Harbour reopens</title></head><body><article><h1>Harbour reopens after storm</h1>"
    + "".join(f"<p>{line}</p>" for line in STORY)
    + "</article><footer><p>© 2019 Coast Gazette</p></footer></body></html>"
)


def test_a_page_of_utf8_read_as_latin1_is_extracted_as_written():
    garbled = PAGE.encode("utf-8").decode("latin-1")
    assert "harbourâ\x80\x99s" in garbled
    text, _, _ = extract_html(garbled)
    assert [line for line in text.split("\n") if line in STORY] == STORY
    assert "â" not in text


def test_a_page_without_c1_controls_is_left_as_it_is():
    assert repair_mojibake(PAGE) is PAGE
    # Latin-1 letters and signs a page writes on purpose are no mojibake
    latin = "<p>Ãlvaro paid 5 £ at the café, Â© the author.</p>"
    assert repair_mojibake(latin) is latin


def test_every_c1_control_and_no_other_character_marks_a_page_as_mojibake():
    assert all(has_c1_control(f"<p>caf{chr(code)}</p>") for code in range(0x80, 0xA0))
    assert not any(has_c1_control(f"<p>caf{character}</p>") for character in "\x7f\xa0é’\U0001f600")
