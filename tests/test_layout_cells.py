"""A page laid out as a table reaches the text one block a line (flows/reading/layout_cells.py): a blog whose posts
sit in one cell (as CleanEval's About.com credit blog) loses its post footers and keeps its prose; data tables stay
rows."""

from __future__ import annotations

from cleaners.article import clean_article
from flows.reading.extraction import extract_html
from flows.reading.layout_cells import cell_blocks, cell_words, lines_by_first_word, split_layout_rows

POSTS = [
    (
        "Talks at Yongbyon",
        (
            "Choe Sang-Hun reported from Seoul that inspectors would return to Yongbyon within weeks, and the Rodong "
            'Sinmun called the agreement "a victory for our patient diplomacy" on its front page. The reactor produced '
            "about 6 kilograms of plutonium a year before it was shut down in 2007."
        ),
        "Tuesday December 26, 2006",
    ),
    (
        "Avoiding Scams",
        (
            "A poster on the forum recently warned of an advance fee loan scam to which she had fallen victim. Scams "
            "abound, and if you're going to be working to eliminate debt and repair your credit next year, you'll need "
            "to be aware of how to avoid being scammed."
        ),
        "Friday December 22, 2006",
    ),
    (
        "Gift Cards May Not Be The Perfect Gift",
        (
            "Gift cards can be a great gift for someone who is hard to buy for, or for whom shipping gifts is expensive "
            "or impractical. Unfortunately, many come with fees and restrictions that make the gift a headache for the "
            "recipient: a $25 card can lose $2.50 a month after a year."
        ),
        "Monday December 18, 2006",
    ),
]
CELL = "".join(
    f'<h3>{title}</h3><p>{body}</p><p>{date} | <a href="/p{number}">permalink</a> | '
    f'<a href="/c{number}">comments (0)</a></p>'
    for number, (title, body, date) in enumerate(POSTS)
)
LAYOUT_PAGE = f"""<html><head><title>Credit / Debt Management</title></head><body><table width="100%">
<tr><td><a href="/">About</a></td><td>Credit / Debt Management</td></tr>
<tr><td></td><td>{CELL}</td><td></td></tr></table></body></html>"""
FOOTERS = [f"{date} | permalink | comments (0)" for _, _, date in POSTS]


def test_a_layout_cell_reaches_the_text_one_block_a_line():
    text, _, article_format = extract_html(LAYOUT_PAGE)
    lines = text.split("\n")
    assert article_format == "html"
    for title, body, _ in POSTS:
        assert title in lines
        assert body in lines
    for footer in FOOTERS:
        assert footer in lines


def test_a_layout_cells_post_footers_leave_the_cleaned_text_and_its_prose_stays(config):
    text, metadata, article_format = extract_html(LAYOUT_PAGE)
    cleaned = clean_article(text, config.cleaning, metadata, article_format)
    kept = "\n".join(cleaned.paragraphs)
    for _, body, _ in POSTS:
        assert body in kept
    for footer in FOOTERS:
        assert footer not in kept
    assert {removal.text for removal in cleaned.removals} >= set(FOOTERS)


def test_a_data_tables_rows_stay_rows():
    quote = (
        '"We will not give up our nuclear deterrent," the Rodong Sinmun wrote on 12 February 2005, a line Choe '
        "Sang-Hun quoted in full, with the ministry's statement that Yongbyon had produced 8,000 spent fuel rods, "
        "each of them counted by inspectors before they left in 2002 and none of them seen by anyone since."
    )
    text = f"| 2005 | {quote} |\n| 2006 | Talks resumed |"
    dump = f"2005\n{quote}\n2006\nTalks resumed"
    assert split_layout_rows(text, dump) == text  # one block in the cell, however long


def test_a_cells_words_the_dump_lacks_stay_a_block_of_their_own():
    dump_lines = [line.split() for line in ["Avoiding Scams", "Friday December 22, 2006", "Gift Card Scams"]]
    cell = "Avoiding Scams Scams abound. Friday December 22, 2006 \\| permalink Gift Card Scams"
    assert cell_blocks(cell_words(cell), dump_lines, lines_by_first_word(dump_lines)) == [
        "Avoiding Scams",
        "Scams abound.",
        "Friday December 22, 2006",
        "| permalink",
        "Gift Card Scams",
    ]


def test_an_indented_layout_row_is_written_as_its_blocks():
    # trafilatura keeps a <pre>-like page's indentation before the row's first border (CleanEval's Amarok blog)
    body = POSTS[0][1]
    text = f"        |   Wednesday, December 13. 2006   {body} |"
    assert split_layout_rows(text, f"Wednesday, December 13. 2006\n{body}") == f"Wednesday, December 13. 2006\n{body}"
