"""Stored line counts: updating them for the articles that came, went or changed decides the same boilerplate,
with the same counts and examples, as counting every article afresh."""

from __future__ import annotations

import random

from cleaners.article import prepare_article
from cleaners.boilerplate import learn_boilerplate
from cleaners.metadata import ArticleMetadata
from cleaners.rules import CleaningRules
from flows.line_counts import LineCounts, identity, learn_incrementally, taken_back
from flows.records import RawArticle
from flows.stages import PreparedInput

RULES = CleaningRules()
TOPICS = "pier lighthouse ferry marina lifeboat dredging quay slipway breakwater customs tides regatta".split()


def article(path: str, lines: list[str], site: str = "harbour") -> PreparedInput:
    """A prepared article read from `path` (one article a file)."""
    raw = RawArticle(path, path, None, "txt", "", ArticleMetadata(), content_hash=path)
    return PreparedInput(raw, prepare_article("\n".join(lines), RULES), site)


def story(number: int, furniture: list[str]) -> list[str]:
    """A story of its own (two long prose lines) among the site's furniture lines."""
    topic = TOPICS[number % len(TOPICS)]
    return [
        *furniture,
        f"The council voted on Tuesday to spend more on the {topic} than it had planned in the spring, story {number}.",
        f"Residents said the {topic} had been neglected for years and welcomed the decision at the meeting.",
    ]


def learn(items: list[PreparedInput], previous: LineCounts | None = None, counted=None, reread=None):
    """Learn over `items`, updating `previous` (counts of the articles `counted`) for the inputs in `reread`."""
    reread = [item.raw.source_path for item in items] if reread is None else reread
    previous = previous or LineCounts()
    going = taken_back(previous, items, reread)
    lines = {identity(item): item.prepared.lines for item in counted or [] if identity(item) in going}
    return learn_incrementally(items, previous, lines, reread, RULES.boilerplate, RULES.bullet_chars)


def sorted_counts(learning):
    return learning.line_counts.counts.sort_by([("site", "ascending"), ("key", "ascending")]).to_pylist()


def assert_as_if_counted_afresh(updated, items: list[PreparedInput]) -> None:
    fresh = learn(items)
    assert updated.boilerplate == fresh.boilerplate
    assert updated.boilerplate == learn_boilerplate(
        ((item.source, item.prepared.lines) for item in items), RULES.boilerplate, RULES.bullet_chars
    )
    assert sorted_counts(updated) == sorted_counts(fresh)


def test_deleting_the_copy_a_story_counted_with_counts_the_next_copy_and_its_lines():
    first = article("a/1.txt", story(1, ["Tide tables inside", "Updated 9:00"]))
    copy = article("a/2.txt", story(1, ["Harbour Gazette print edition"]))
    others = [article(f"a/{n}.txt", story(n, ["Harbour Gazette print edition"])) for n in range(3, 5)]
    before = learn([first, copy, *others])
    assert "harbour gazette print edition" not in before.boilerplate.get("harbour", {}), "2 stories of 3"
    after = learn([copy, *others], before.line_counts, [first, copy, *others], reread=[])
    assert set(after.boilerplate["harbour"]) == {"harbour gazette print edition"}
    assert after.changed == {"harbour": {"harbour gazette print edition"}}
    assert_as_if_counted_afresh(after, [copy, *others])


def test_a_line_whose_example_article_went_takes_its_example_from_the_next_article():
    items = [
        article(f"a/{n}.txt", story(n, ["• SHARE this story" if n == 0 else "Share this story"])) for n in range(5)
    ]
    before = learn(items)
    assert before.boilerplate["harbour"]["share this story"].example == "• SHARE this story"
    after = learn(items[1:], before.line_counts, items, reread=[])
    assert after.boilerplate["harbour"]["share this story"].example == "Share this story"
    assert_as_if_counted_afresh(after, items[1:])


def test_any_mix_of_new_deleted_and_changed_inputs_gives_the_counts_of_a_fresh_count():
    chance = random.Random(14)
    furniture = ["Harbour Gazette print edition", "Share this story", "Tide tables inside", "Sign in", "Weather: 12C"]

    def version(n: int, edition: int) -> PreparedInput:
        lines = chance.sample(furniture, chance.randint(0, 3))
        return article(f"{'ab'[n % 2]}/{n:02}.txt", story(n // 3 + edition, lines), site="ab"[n % 3 == 0])

    current = {n: version(n, 0) for n in range(30)}
    learning = learn(sorted(current.values(), key=lambda item: item.raw.source_path))
    for edition in range(1, 6):
        previous = dict(current)
        for n in chance.sample(range(40), 8):
            if n in current and chance.random() < 0.5:
                del current[n]
            else:
                current[n] = version(n, edition)
        changed = [item.raw.source_path for n, item in current.items() if previous.get(n) is not item]
        items = sorted(current.values(), key=lambda item: item.raw.source_path)
        learning = learn(items, learning.line_counts, list(previous.values()), reread=changed)
        assert_as_if_counted_afresh(learning, items)
