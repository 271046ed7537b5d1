"""ftfy repair and whitespace normalisation."""

from cleaners.unicode import normalise_whitespace, repair_unicode


def test_mojibake_is_repaired():
    repaired, changed = repair_unicode("North Koreaâ€™s leader said â€œnoâ€\x9d.")
    assert repaired == "North Korea’s leader said “no”."
    assert changed


def test_curly_quotes_are_kept_by_default():
    text = "“Sometimes you have to walk,” Mr. Trump said. It’s done."
    assert repair_unicode(text) == (text, False)


def test_curly_quotes_are_straightened_when_asked():
    repaired, changed = repair_unicode("“walk,” he said", uncurl_quotes=True)
    assert repaired == '"walk," he said' and changed


def test_nbsp_and_indentation_are_normalised(seeds):
    lines, report = normalise_whitespace(seeds["001_fbf9d736c58d5084.txt"])
    assert not any("\u00a0" in line for line in lines)
    assert all(line == line.strip() for line in lines)
    assert report.odd_spaces > 0 and report.indented_lines > 0
    assert "President Trump and Mr. Kim Jong-un meet 1-on-1 at the historic Metropole hotel in Hanoi. AP" in lines


def test_space_runs_collapse_but_words_stay():
    lines, _ = normalise_whitespace("  Kim\u00a0 Jong-un\tmet   Trump \u200bin Hanoi.\r\nSecond line")
    assert lines == ["Kim Jong-un met Trump in Hanoi.", "Second line"]
