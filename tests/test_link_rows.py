"""Navigation bars laid out as tables leave an HTML page's text (flows/reading/link_rows.py); data tables stay.
The bars are CleanEval pages' own (a job site's footer, a film magazine's menu, a course site's menu)."""

from __future__ import annotations

from lxml import html as lxml_html

from flows.reading.extraction import extract_html
from flows.reading.link_rows import drop_link_rows, is_link_run, link_texts, positions_by_first_word

ARTICLE = (
    "At the end of 2000, I lost my job when the dot-com I worked for ran out of money, and since then I have held "
    "three positions that each ended within a year.\n"
    "How do I explain to a future employer that none of these losses had anything to do with my performance, "
    "without sounding bitter about my former employers?\n"
    "Employers understand that the last few years have been hard on technology workers, and most will not hold a "
    "string of short jobs against you if you explain it plainly.\n"
    "Keep the story short, say what you learned in each job, and move on to what you can do for the company you "
    "are talking to."
).split("\n")
FOOTER = ["About BostonWorks", "Press Releases", "Advertise", "Help/Feedback", "User Agreement", "Privacy Policy"]
PAGE = f"""<html><head><title>Explaining loss of positions to a future employer</title></head><body>
<table width="100%"><tr><td><a href="/">BostonWorks</a></td><td><a href="/jobs">Find a Job</a></td></tr></table>
<table width="760"><tr><td><h1>Explaining loss of positions to a future employer</h1>
<p>{ARTICLE[0]}</p><p>{ARTICLE[1]}</p><p>{ARTICLE[2]}</p>
<table><tr><th>Year</th><th>Positions lost</th></tr>
<tr><td><a href="/2001">2001</a></td><td>2</td></tr><tr><td><a href="/2002">2002</a></td><td>1</td></tr></table>
<p>{ARTICLE[3]}</p></td></tr>
<tr><td><a href="/email">E-Mail This Article</a></td></tr>
<tr><td>{" | ".join(f'<a href="/{number}">{label}</a>' for number, label in enumerate(FOOTER))}</td></tr>
</table></body></html>"""


def test_a_navigation_bar_laid_out_as_a_table_leaves_the_page_text():
    text, _, article_format = extract_html(PAGE)
    assert article_format == "html"
    for sentence in ARTICLE:
        assert sentence in text
    for label in ("Find a Job", "E-Mail This Article", *FOOTER):
        assert label not in text


def test_a_data_table_whose_first_cells_are_links_stays():
    text, _, _ = extract_html(PAGE)
    assert "| Year | Positions lost |" in text
    assert "| 2001 | 2 |" in text
    assert "| 2002 | 1 |" in text


def test_links_that_follow_each_other_are_one_run_and_part_of_a_link_is_none():
    menu = "<p><a>About Flak</a> <a>Archives</a> <a>Letters to Flak</a> <a>Submissions</a> <a>Rec Reading</a></p>"
    links = link_texts(lxml_html.fromstring(menu))
    starts = positions_by_first_word(links)
    assert is_link_run(("about", "flak", "archives", "letters", "to", "flak"), links, starts)
    assert is_link_run(("rec", "reading"), links, starts)
    assert not is_link_run(("about", "flak", "letters", "to", "flak"), links, starts)  # not next to each other
    assert not is_link_run(("letters",), links, starts)  # a link's first word only
    assert not is_link_run(("submissions", "rec"), links, starts)


def test_only_table_rows_of_links_go_from_a_text():
    tree = lxml_html.fromstring(
        "<div><a>Home</a><a>About the Professors</a><a>Topic Index</a><p>The Qing dynasty ruled China.</p>"
        "<a>Population Growth</a></div>"
    )
    rows = [
        "|  | Home |  | About the Professors |  | Topic Index | ",
        "Population Growth",
        "The Qing dynasty ruled China.",
        "| Population Growth | 1.2% | ",
        "|---|---|",
    ]
    text = "\n".join(rows)
    assert drop_link_rows(text, tree).split("\n") == rows[1:]
