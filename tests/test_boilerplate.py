"""Per-source learned boilerplate: a site's recurring lines go, a quote shared by a few articles stays."""

import hashlib
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from cleaners.article import prepare_article
from cleaners.boilerplate import (
    ROOT_SOURCE,
    article_line_keys,
    is_long_prose,
    learn_boilerplate,
    line_key,
    remove_learned_lines,
    source_key,
    story_fingerprint,
)
from cleaners.metadata import ArticleMetadata
from cleaners.rules import BoilerplateRules, CleaningRules
from flows.stages.line_keys import DIGITS_ONLY_ASCII, line_keys_of

RULES = BoilerplateRules()
BULLETS = "•-"
QUOTE = "“It was all about the sanctions,” Trump told a news conference after the talks were cut short."


def site_pages(count: int, shared: list[str]) -> list[tuple[str, list[str]]]:
    """`count` pages of one site, each with the shared lines and a body line of its own."""
    topics = "Hanoi Seoul Tokyo Beijing Manila Hue Busan Osaka Kyoto Dalian Incheon Sapporo Nagoya Daegu".split()
    return [
        ("example.com", [*shared, f"This body sentence says something different about {topics[n]}."])
        for n in range(count)
    ]


def test_line_key_folds_case_digits_bullets_and_spacing():
    assert line_key("• 12  Comments", BULLETS) == line_key("3 comments", BULLETS) == "0 comments"


# Lines whose keys the shard's batch must fold as `line_key` does: digits of other scripts (Arabic-Indic, Devanagari,
# full-width, mixed with ASCII ones), casefolding that is not lowering, whitespace `normalise_whitespace` leaves.
UNUSUAL_LINES = [
    "٣ تعليقات",
    "Comments ١٢",
    "1٢3 shares",
    "१२ टिप्पणियाँ",
    "１２ Comments",
    "Straße 12  Nord",
    "• 7 Things\x1cto do",
    "- 45\u2028Shares ",
    "Leaked memo ²³ 2019",
    "“Ｔｈｅ 2 sides,” he said.",
]


def test_a_shards_line_keys_are_each_lines_line_key():
    seeds = sorted((Path(__file__).parent.parent / "raw").glob("*.txt"))
    lines = [line for path in seeds for line in prepare_article(path.read_text(), CleaningRules()).lines if line]
    lines += UNUSUAL_LINES
    assert line_keys_of(lines, BULLETS) == [line_key(line, BULLETS) for line in lines]
    assert line_keys_of(["٣ تعليقات", "Comments ١٢"], BULLETS) == ["0 تعليقات", "comments 0"]


def test_a_line_repeated_in_a_shard_gets_its_key_at_every_place():
    lines = ["Share 12", "• 3 Comments", "Share 12", "A story line.", "• 3 Comments", "Share 12"]
    assert line_keys_of(lines, BULLETS) == [
        "share 0",
        "0 comments",
        "share 0",
        "a story line.",
        "0 comments",
        "share 0",
    ]


def test_the_only_decimal_digits_where_re2_folds_the_digits_are_ascii():
    allowed = [chr(code) for code in [*range(0x600), *range(0x2000, 0x20D0)] if not 0xD800 <= code <= 0xDFFF]
    assert [char for char in allowed if re.fullmatch(r"\d", char)] == list("0123456789")
    matched = pc.match_substring_regex(pa.array(["".join(allowed), "a\u0660", "b\uff11"]), DIGITS_ONLY_ASCII)
    assert matched.to_pylist() == [True, False, False]


def test_a_storys_prose_is_its_lines_single_spaced_of_enough_words():
    short = " ".join(["word"] * (RULES.prose_min_words - 1)) + "."
    enough = f"Then {short}"
    assert story_fingerprint({"k": enough}, RULES) == story_fingerprint(
        {"k": enough.replace(" ", "  "), "x": "Menu"}, RULES
    )
    assert story_fingerprint({"k": short}, RULES) != story_fingerprint({"k": short, "x": "Menu"}, RULES)


def test_a_storys_fingerprint_is_the_digest_of_its_long_prose_lines_single_spaced(seeds):
    """Lines too short to hold prose_min_words words, or not prose, are passed over before they are spaced: the
    fingerprint is still that of the lines `is_long_prose` finds, on the seeds' lines and on lines at the limits."""
    words = RULES.prose_min_words
    edges = [
        " ".join("abcdefghijkl"[:words]) + ".",  # just long enough: 2 * words characters
        " ".join("abcdefghijkl"[: words - 1]) + ".",
        " ".join("abcdefghijkl"[:words]),  # not prose: no sentence mark, under 12 words
        "\x1c".join("abcdefghijkl"[:words]) + ".",  # words apart by another space character
        "a\u2028b c d e f g h i.",
        "\x1c" * (2 * words),
        QUOTE,
    ]
    for lines in [edges, *(prepare_article(text, CleaningRules()).lines for text in seeds.values())]:
        keys = article_line_keys(lines, BULLETS)
        prose = sorted(" ".join(line.split()) for line in keys.values() if is_long_prose(line, RULES))
        story = "\n".join(prose or sorted(keys)).encode()
        digest = hashlib.blake2b(story, digest_size=8).digest()
        assert story_fingerprint(keys, RULES) == int.from_bytes(digest, "big", signed=True)
    long_enough, short = edges[0], edges[1]  # a story of prose lines only: other lines leave it as it is
    assert story_fingerprint({"k": long_enough}, RULES) == story_fingerprint({"k": long_enough, "x": "Menu"}, RULES)
    assert story_fingerprint({"k": short}, RULES) != story_fingerprint({"k": short, "x": "Menu"}, RULES)


def test_lines_on_most_pages_of_a_site_are_learned():
    learned = learn_boilerplate(
        site_pages(5, ["Header Ads", "Share on Facebook", "© 2005 Example News"]), RULES, BULLETS
    )
    assert set(learned["example.com"]) == {"header ads", "share on facebook", "© 0 example news"}
    assert learned["example.com"]["header ads"].articles == 5


def test_a_line_on_too_few_pages_is_not_learned():
    pages = site_pages(10, [])
    pages[0][1].append("Special offer today only")
    pages[1][1].append("Special offer today only")
    assert learn_boilerplate(pages, RULES, BULLETS) == {}


def test_a_quote_shared_by_several_articles_of_a_source_is_kept():
    pages = site_pages(12, [])
    for _, lines in pages[:5]:
        lines.append(QUOTE)
    assert learn_boilerplate(pages, RULES, BULLETS) == {}


def test_a_sentence_on_nearly_every_page_of_a_big_source_is_learned():
    pages = site_pages(12, ["Sign up to our newsletter to get the best of the news delivered to your inbox."])
    assert len(learn_boilerplate(pages, RULES, BULLETS)["example.com"]) == 1


def test_sources_are_learned_separately():
    pages = site_pages(4, ["Header Ads"]) + [("other.org", ["Header Ads", "Real text here."])]
    assert set(learn_boilerplate(pages, RULES, BULLETS)) == {"example.com"}


def test_learned_lines_are_removed_with_the_source_as_reason():
    learned = learn_boilerplate(site_pages(3, ["Post Top Ad"]), RULES, BULLETS)["example.com"]
    kept, removed, _ = remove_learned_lines(["Post top ad", "", "Mr. Kim left Hanoi."], learned, "example.com", BULLETS)
    assert kept == ["", "Mr. Kim left Hanoi."]
    assert [(r.text, r.reason) for r in removed] == [("Post top ad", "learned:example.com")]


def test_learned_lines_are_found_by_the_keys_the_read_task_made():
    learned = learn_boilerplate(site_pages(3, ["Post Top Ad 12"]), RULES, BULLETS)["example.com"]
    lines = ["Post top ad 7", "", "• Post Top Ad 3", "Mr. Kim left Hanoi."]
    known = article_line_keys(lines, BULLETS)  # key -> its first line, as the line-keys file holds them
    by_line = {line: key for key, line in known.items()}
    assert list(known) == ["post top ad 0", "mr. kim left hanoi."]
    with_keys = remove_learned_lines(lines, learned, "example.com", BULLETS, known_keys=by_line)
    assert with_keys == remove_learned_lines(lines, learned, "example.com", BULLETS)
    assert with_keys[0] == ["", "Mr. Kim left Hanoi."]  # the bulleted line, not in `by_line`, was keyed here


def test_learning_can_be_switched_off():
    assert learn_boilerplate(site_pages(5, ["Header Ads"]), BoilerplateRules(enabled=False), BULLETS) == {}


def test_source_key_prefers_host_then_folder_then_source_field():
    assert source_key("a.html", ArticleMetadata(url="https://www.nytimes.com/2019/x.html")) == "nytimes.com"
    assert source_key("koreatimes/004.txt", ArticleMetadata(source="Reuters")) == "koreatimes"
    assert source_key("feed.jsonl", ArticleMetadata(source="AFP")) == "AFP"
    assert source_key("000.txt", ArticleMetadata()) == ROOT_SOURCE


def test_copies_of_one_story_count_once_so_its_lines_are_not_learned():
    headline, body = "Summit ends early without a deal", "The talks in Hanoi were cut short on Thursday afternoon."
    copies = [("example.com", [headline, f"Updated {hour}:00", body]) for hour in range(12)]
    others = site_pages(3, ["Example News Network"])
    learned = learn_boilerplate(copies + others, RULES, BULLETS)["example.com"]
    assert set(learned) == {"example news network"}
    assert (learned["example news network"].articles, learned["example news network"].source_articles) == (3, 4)


def test_articles_differing_only_in_the_numbers_of_their_prose_are_different_stories():
    pages = [("example.com", ["Site Menu Line", f"The council voted on budget item {n} on Monday."]) for n in range(3)]
    assert set(learn_boilerplate(pages, RULES, BULLETS)["example.com"]) == {"site menu line"}
