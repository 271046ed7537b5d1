"""Junk line rules from copydesk.toml, on the seeds and on text they must leave alone."""

import pytest

from cleaners.article import clean_article
from cleaners.edits import Removal
from cleaners.junk import line_junk_reason, remove_junk_lines, remove_repeated_runs, strip_bullet
from cleaners.rules import BodyRules


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("Header Ads", "junk:site_furniture"),
        ("SEO tools", "junk:site_furniture"),
        ("Breaking News", "junk:site_furniture"),
        ("No comments", "junk:site_furniture"),
        ("Post Top Ad", "junk:site_furniture"),
        ("Leave a reply", "junk:site_furniture"),
        ("Security Key:", "junk:captcha"),
        ("Captcha refresh", "junk:captcha"),
        ("Page Generated in 0/0517 sec", "junk:page_generation"),
        ("162", "junk:share_counter"),
        ("0", "junk:share_counter"),
        ("1.2k", "junk:share_counter"),
        ("[Read about the two leaders’ first day in Hanoi, on Wednesday.]", "junk:link_promo"),
        (
            "President Trump and Mr. Kim Jong-un meet 1-on-1 at the historic Metropole hotel in Hanoi. AP",
            "caption:agency_credit",
        ),
        ("Leaders meet in Hanoi on 28 February 2019. Photo: Saul Loeb /Getty Images.", "caption:photo_credit"),
        ("The president speaks in Vietnam. Photographer: SeongJoon Cho/Getty Images", "caption:photo_credit"),
    ],
)
def test_junk_lines_are_removed_with_their_rule(config, line, reason):
    assert line_junk_reason(line, config.cleaning) == reason


@pytest.mark.parametrize(
    "line",
    [
        "Trump faces more political headwinds",
        "“It was all about the sanctions,” Trump told a news conference after the talks were cut short.",
        "The agency carried the news eight hours after Mr. Kim and Mr. Trump finished their social dinner.",
        "Experts estimate that the North has 30 to 60 nuclear warheads.",
        "2019 was the year of the Hanoi summit.",
        "Breaking news from Hanoi surprised the delegations on Thursday.",
        "North Korea has 1,000 artillery pieces near the border, AP reported.",
        "The photo: a handshake that did not lead to a deal, the editors said.",
        "[sic]",
    ],
)
def test_real_text_is_not_junk(config, line):
    assert line_junk_reason(line, config.cleaning) is None


def test_bulleted_furniture_is_still_furniture(config):
    lines = ["• Breaking News", "", "• Mr. Kim said talks would continue."]
    kept, removed, _ = remove_junk_lines(lines, config.cleaning)
    assert kept == ["", "• Mr. Kim said talks would continue."]
    assert [(r.text, r.reason) for r in removed] == [("• Breaking News", "junk:site_furniture")]


def test_strip_bullet_only_strips_a_leading_marker():
    assert strip_bullet("• Breaking News", "•-") == "Breaking News"
    assert strip_bullet("-5 degrees overnight", "•-") == "-5 degrees overnight"
    assert strip_bullet("Jong-un", "•-") == "Jong-un"


def test_disabled_rule_removes_nothing(tmp_path):
    from flows.config import load_config

    config_file = tmp_path / "copydesk.toml"
    config_file.write_text(
        "[[junk.rules]]\nname = 'share_counter'\npattern = '^\\d+$'\nenabled = false\n"
        "[[junk.rules]]\nname = 'promo'\npattern = '(?i)^buy now$'\n",
        encoding="utf-8",
    )
    rules = load_config(config_file).cleaning
    assert line_junk_reason("162", rules) is None
    assert line_junk_reason("Buy now", rules) == "junk:promo"


def test_related_links_section_goes_with_its_heading(config):
    from cleaners.junk import remove_sections

    lines = [
        "Mr. Kim left Hanoi on Saturday after the summit, officials said.",
        "",
        "Most Read",
        "",
        "1. Johnny Cash manager Holiff dies",
        "2. Jones medals 'must go if guilty'",
        "",
        "The talks will resume next month in Singapore, the agency said.",
    ]
    kept, removed, _ = remove_sections(lines, config.cleaning)
    assert [line for line in kept if line] == [lines[0], lines[-1]]
    assert {r.reason for r in removed} == {"section:related_links"} and len(removed) == 3


def test_comment_section_at_the_end_goes_but_a_comment_link_at_the_top_stays(config):
    from cleaners.junk import remove_sections

    body = ["The second meeting between the two leaders broke up in disarray on Thursday in Hanoi."] * 4
    lines = ["Comments (3)", "", *body, "", "12 comments", "sue1972", "Typical. Nobody ever asks the ordinary people."]
    kept, removed, _ = remove_sections(lines, config.cleaning)
    assert kept == ["Comments (3)", "", *body, ""]
    assert [r.reason for r in removed] == ["section:comments"] * 3


def test_a_heading_inside_a_section_goes_with_it_and_a_heading_ruling_nothing_stays(config):
    from cleaners.junk import remove_sections

    body = ["The second meeting between the two leaders broke up in disarray on Thursday in Hanoi."] * 4
    related = ["Most Read", "1. Johnny Cash manager Holiff dies", "Sponsored Content"]
    promo = ["Sponsored Content", "Win a luxury weekend break for two"]
    after = ["The talks will resume next month in Singapore, the agency said.", *promo, "Officials left early."]
    lines = ["Comments (3)", "", *body, "", *related, *after]
    kept, removed, _ = remove_sections(lines, config.cleaning)
    assert kept == ["Comments (3)", "", *body, "", after[0], after[-1]]
    assert [(r.text, r.reason) for r in removed] == [
        *((line, "section:related_links") for line in related),
        *((line, "section:sponsored") for line in promo),
    ]


def test_sponsored_label_takes_its_promo(config):
    from cleaners.junk import remove_sections

    lines = ["Sponsored Content", "Win a luxury weekend break for two", "", "Officials said the talks had ended early."]
    kept, removed, _ = remove_sections(lines, config.cleaning)
    assert kept == ["", "Officials said the talks had ended early."] and len(removed) == 2


@pytest.mark.parametrize(
    "line",
    [
        "Officials watch the result in Paris on Wednesday (Image: Getty Images)",
        "Officials queue at the entrance in Manchester on Friday (EPA)",
        "Crowds gather outside the hotel. Photo: Carl de Souza/Reuters",
        "Commuters queue at the entrance in London on Tuesday. PA",
    ],
)
def test_more_caption_credit_styles_are_removed(config, line):
    assert line_junk_reason(line, config.cleaning).startswith("caption:")


def test_a_paragraph_ending_in_a_wire_credit_is_not_a_caption(config):
    assert line_junk_reason("The ministry confirmed the figures on Friday. (Reuters)", config.cleaning) is None


def test_sponsored_label_before_real_prose_takes_only_itself(config):
    from cleaners.junk import remove_sections

    lines = ["Sponsored", "Officials said the talks had ended early, and both leaders flew home."]
    kept, removed, _ = remove_sections(lines, config.cleaning)
    assert kept == lines[1:] and [r.text for r in removed] == ["Sponsored"]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("See also: Hanoi summit ends without a deal", "junk:label_led_links"),
        ("SEE ALSO » Five things we learned in Vietnam", "junk:label_led_links"),
        ("More from Reuters: Oil prices slide as talks stall", "junk:label_led_links"),
        ("more on the economy: Rates, jobs and the housing market", "junk:label_led_links"),
        ("Read more: Why the Fed raised rates again?", "junk:label_led_links"),
        ("Related coverage: Kim arrives by train | Trump lands in Hanoi", "junk:label_led_links"),
        ("Don't miss: The week in pictures", "junk:label_led_links"),
        ("Filed under: Politics, World, Asia", "junk:taxonomy"),
        ("Filed Under Politics", "junk:taxonomy"),
        ("Topics: North Korea, nuclear weapons, diplomacy", "junk:taxonomy"),
        ("TAGS: summit | sanctions | Kim Jong-un", "junk:taxonomy"),
        ("Posted in Business | Tagged trade, tariffs", "junk:taxonomy"),
        ("Categories:", "junk:taxonomy"),
        ("Sign up for our daily newsletter", "junk:newsletter_prompt"),
        ("Sign up for The Morning, our daily newsletter, and get the news first.", "junk:newsletter_prompt"),
        ("SUBSCRIBE TO OUR WEEKLY BRIEFING", "junk:newsletter_prompt"),
        ("Get the best of the week delivered straight to your inbox.", "junk:newsletter_prompt"),
        ("Like this story? Sign up to receive our free politics newsletter", "junk:newsletter_prompt"),
        ("By signing up, you agree to our Terms of Use and Privacy Policy.", "junk:newsletter_prompt"),
        ("Thank you for subscribing!", "junk:newsletter_prompt"),
        ("Enter your email address", "junk:newsletter_prompt"),
        ("(c) 2019 The Daily Planet", "junk:copyright"),
        ("© Copyright 2024 Example Media Group", "junk:copyright"),
        ("© Example Media Group 2024", "junk:copyright"),
        ("Copyright 2019 The Associated Press.", "junk:copyright"),
        ("COPYRIGHT (C) 2003-2019 NEWS DESK LTD", "junk:copyright"),
        ("All rights reserved.", "junk:copyright"),
        ("Copyright World News Desk. All rights reserved.", "junk:copyright"),
        (
            "This material may not be published, broadcast, rewritten or redistributed without permission.",
            "junk:copyright",
        ),
        # blog post footers: a Typepad blog's (CleanEval tune page 20), a Serendipity blog's (page 8), a diary's (40)
        ("Posted by jamie k at 04:29 PM | Permalink | Comments (0) | TrackBack (0)", "junk:post_footer"),
        ("Posted by Mark Kretschmann in markey at 05:46 | Comments (0) | Trackbacks (0)", "junk:post_footer"),
        ("Tuesday December 26, 2006 | permalink | comments (0)", "junk:post_footer"),
        ("June 9, 2020 · 6 Comments", "junk:post_footer"),  # WCXB tune page 4673
        ("Posted on 12 March 2019 • Share this story • Print", "junk:post_footer"),
        # page lists: a forum thread's (CleanEval tune pages 21 and 33), a blog's (WCXB tune page 4682)
        (
            "Pages : [1] 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31",
            "junk:pagination",
        ),
        ("Pages : 1 [2]", "junk:pagination"),
        ("Pages: 1 2 3", "junk:pagination"),
        ("« Previous 1 2 3 Next »", "junk:pagination"),
        ("1 2 3 4 … 12 Next ›", "junk:pagination"),
        ("Page 2 of 14", "junk:pagination"),
        # the site talking to its reader: a job site's (CleanEval tune page 5), blogs' and a podcast's (WCXB tune)
        ("The feature you requested is only available to members. Please sign in to continue...", "junk:site_notice"),
        ("You must be logged in to post a comment.", "junk:site_notice"),
        (
            "We're sorry but you will need to enable Javascript to access all of the features of this site.",
            "junk:site_notice",
        ),
        ("Your browser does not support the audio element.", "junk:site_notice"),
        ("Please sign in to access member exclusive content.", "junk:site_notice"),
        # a site's terms offered as a condition of reading (CleanEval tune page 48, WCXB tune pages 0051 and 0343)
        (
            (
                "By continuing past this page, and by your continued use of this site, you agree to be bound by and "
                "abide by the User Agreement."
            ),
            "junk:site_notice",
        ),
        ("By accessing or using this website, you agree to our terms and privacy.", "junk:site_notice"),
        ("By continuing to browse, you agree to our use of cookies.", "junk:site_notice"),
        # a login form's lines (CleanEval tune page 5, WCXB tune pages 0003, 0250, 0396, 4091, 4460)
        ("Forgot your password?", "junk:site_notice"),
        ("Forgot password? Sign in", "junk:site_notice"),
        ("Forgot Username or Password?", "junk:site_notice"),
        ("Lost your password?", "junk:site_notice"),
        ("Remember me for faster sign in", "junk:site_notice"),
        ("Automatically sign me in next time. What's this?", "junk:site_notice"),
        # a web form's own lines: WordPress's comment form, a form plugin's hidden and honeypot fields, a page
        # builder's submission messages (WCXB tune pages)
        ("Your email address will not be published. Required fields are marked *", "junk:site_notice"),
        ("Save my name, email, and website in this browser for the next time I comment.", "junk:site_notice"),
        ("This site uses Akismet to reduce spam. Learn how your comment data is processed.", "junk:site_notice"),
        ("This field is for validation purposes and should be left unchanged.", "junk:site_notice"),
        ("This field is hidden when viewing the form", "junk:site_notice"),
        ("If you are human, leave this field blank.", "junk:site_notice"),
        ("Leave this field empty if you're human:", "junk:site_notice"),
        ("Please enter a valid email address.", "junk:site_notice"),
        ("Thank you! Your submission has been received!", "junk:site_notice"),
        ("Oops! Something went wrong while submitting the form.", "junk:site_notice"),
        (
            "This site is protected by reCAPTCHA and the Google Privacy Policy and Terms of Service apply.",
            "junk:site_notice",
        ),
        ("Required fields are marked with an asterisk (*).", "junk:site_notice"),
        ("Leave a Reply Cancel reply", "junk:site_furniture"),
        # share and print buttons and links with a screen reader's hint (WordPress's, a shop's: WCXB tune pages)
        ("Click to share on Facebook (Opens in new window) Facebook", "junk:share_button"),
        ("Click to email a link to a friend (Opens in new window) Email", "junk:share_button"),
        ("Click to print (Opens in new window) Print", "junk:share_button"),
        ("Share on X (Opens in new window) X", "junk:share_button"),
        ("Instagram Opens in a new tab", "junk:share_button"),
        ("Opens in a new window.", "junk:share_button"),
        # Blogger's post footer (CleanEval tune page 57)
        ("posted by Joshua Landis @ 4/19/2005 02:47:00 AM 22 comments links to this post", "junk:post_footer"),
        ("Posted by Jane Roe at 10:12 AM links to this post", "junk:post_footer"),
        # readers' comments' headers: Blogger's (CleanEval tune page 57), a forum quote's, WordPress's
        ("At 4/20/2005 08:13:14 AM, Vox Populi - Agent Provocateur said...", "junk:comment_header"),
        ("At 4/19/2005 07:14:49 PM, Anonymous said...", "junk:comment_header"),
        ("On March 3, 2010 at 5:12 pm, Jane Doe wrote:", "junk:comment_header"),
        ("Jane Doe says: March 3, 2010 at 5:12 pm", "junk:comment_header"),
        ("Jane Doe on 3 March 2010 at 17:12 said:", "junk:comment_header"),
    ],
)
def test_label_led_newsletter_and_legal_lines_are_removed_with_their_rule(config, line, reason):
    assert line_junk_reason(line, config.cleaning) == reason


@pytest.mark.parametrize(
    "line",
    [
        "Related talks broke down on Tuesday.",
        "See also the chart below, which shows exports falling for a third month.",
        "More from the minister came later, when she spoke to reporters outside parliament.",
        "Read more of the report and you find the numbers do not add up.",
        "Filed under seal, the documents show the company knew of the defect in 2017.",
        "Topics ranged from trade to the war in Ukraine, officials said.",
        "Tags on the bags showed they had come from Frankfurt.",
        "Posted in the window of the shop was a handwritten note thanking customers.",
        "Categories of visa holders affected by the change include students and nurses.",
        "Subscribers to the paper's print edition fell by 12% last year.",
        "Signing up for the army was his way out of the village, he said.",
        "He said he would sign up for another season if the club offered him a contract.",
        "Copyright law was rewritten in 2019 after a decade of lobbying.",
        "The court ruled that the copyright belonged to the photographer, not the magazine.",
        "Under clause (c) the tenant may end the lease early.",
        "The newsletter, which has 40,000 readers, first reported the resignation on Friday.",
        "Comments (0) were made on the proposal, Choe Sang-Hun said.",
        "Reply to the envoy's letter from Yongbyon | 3 comments",
        "Rodong Sinmun | Pyongyang | March 3, 2019",
        '"We will not comment," he said. | Share',
        "Published in 1998, the report ran to 300 pages | Print edition",
        "Pages 12 and 13 of the Rodong Sinmun were given to the Yongbyon reactor.",
        'Choe Sang-Hun counted 2 of 14 reactors shut, "the rest next" in 2026.',
        "6 32 3 34 35 1",  # a table's row of numbers (CleanEval tune page 10)
        "Next 2025",
        'Choe Sang-Hun found that "you must be logged in" to read the Rodong Sinmun online, which few can.',
        "Apple said Safari would enable JavaScript by default in 2003.",
        "Inspectors at Yongbyon said the log was only available to members of the team.",
        "By using the app, users agree to share their data, the lawsuit says.",
        'The letter read: "By continuing to use this site, you agree to our terms."',
        "By continuing the talks, the envoy said, you agree to nothing.",
        "Posted by the editors, the piece links to this post",
        "At 10:30 AM on May 2, 2005, the minister said the talks had failed.",
        "On May 2, 2005 at 10:30 AM, the minister said talks had failed.",
        "On March 3, 2010 at 5:12 pm, Choe Sang-Hun wrote that the reactor had been shut.",
        "Jane Doe says the March 3, 2010 meeting at 5:12 pm was the last.",
        "The mayor then says:",
        "Remember Me",  # a film's or a song's title
        "Remember me when I am gone, she sang at the funeral on Tuesday.",
        "He forgot your password again.",
        "Forgot your password? The bank says that is now your problem, and it will charge you for a new one.",
        "Required fields are marked on the tax form, the agency said, but many people miss them.",
        "Voters were told their email address will not be published.",
        "Please enter a valid reason for the delay, the judge told the prosecutors.",
        "Clicking the map opens in a new window a list of every polling station.",
        "The report opens in a new tab of the ministry's site (opens in new window) with its annexes, which run to 400 pages.",
        'The form said "This field is for validation purposes" beside an empty box.',
    ],
)
def test_prose_that_starts_like_a_label_or_legal_line_is_kept(config, line):
    assert line_junk_reason(line, config.cleaning) is None


@pytest.mark.parametrize(
    "line",
    [
        "05-06-2005, 05:28 PM",  # a forum post's stamp (CleanEval tune page 33)
        "May 26, 2014 at 9:47 pm",  # a reader's comment (WCXB tune)
        "Nov 25, 2025 5:00 am PST",
        "Sunday, 12 October 2004, 10:30 GMT",
        "12/18/2025 4:00:05 PM",
        "2025-10-30T10:45:07-04:00",
        "Published June 23, 2025 10:39AM",
        "Last updated on September 16th, 2023 at 09:27 am",
        "Updated 10:42, 5 March 2024",
        "10:30 AM EST, Tue March 5, 2024",
        "Posted by: Stuke on March 15, 2003 08:35 AM",  # a reader's comment (CleanEval tune page 38)
        "Posted by Choe Sang-Hun at 05-06-2005, 05:28 PM",
    ],
)
def test_a_line_that_is_only_a_date_and_a_time_is_a_timestamp(config, line):
    assert line_junk_reason(line, config.cleaning) == "junk:timestamp"


@pytest.mark.parametrize(
    "line",
    [
        "March 16, 2026",
        "12 March 2004",
        "Published on 12 March 2004",
        "The meeting on 5 March 2024 at 10:30 ended without a deal.",
        "Doors open at 7:30 pm.",
        "Updated daily at 10:30",
        "Flight BA 2004 leaves Heathrow at 10:30 on Sunday.",
        "Posted by Rodong Sinmun on March 3, 2019",
        "Posted by the ministry on March 3, 2019 at 10:30, the notice was torn down within an hour.",
    ],
)
def test_a_date_alone_or_prose_with_a_time_is_no_timestamp(config, line):
    assert line_junk_reason(line, config.cleaning) is None


def test_comment_stamps_and_post_footers_go_and_the_comments_and_an_event_list_stay(config):
    lines = [
        "The council meets three times this spring to hear residents on the plan.",
        "March 16, 2026",
        "April 20, 2026",
        "",
        "Jane Roe",
        "May 26, 2014 at 9:47 pm",
        "I went to the first meeting and nobody from the council answered our questions.",
        "John Doe",
        "May 27, 2014 at 8:02 am",
        "Same here, but the second one was better organised and ran on time.",
        "Posted by jamie k at 04:29 PM | Permalink | Comments (2) | TrackBack (0)",
    ]
    kept, removed, _ = remove_junk_lines(lines, config.cleaning)
    assert removed == [
        Removal("May 26, 2014 at 9:47 pm", "junk:timestamp"),
        Removal("May 27, 2014 at 8:02 am", "junk:timestamp"),
        Removal(lines[-1], "junk:post_footer"),
    ]
    assert kept == lines[:5] + [lines[6], lines[7], lines[9]]


def test_a_blog_comment_thread_loses_its_headers_and_keeps_its_comments(config):
    # the shape of a Blogger comment thread in a text dump (CleanEval tune page 57)
    lines = [
        "The ministry confirmed on Tuesday that the border crossing would stay closed until further notice.",
        "posted by Jane Roe @ 4/19/2005 02:47:00 AM 2 comments links to this post",
        "At 4/19/2005 07:14:49 PM, Anonymous said...",
        "The crossing has been closed before, and it never lasted more than a week.",
        "At 4/20/2005 08:13:14 AM, John Doe said...",
        "Traders on both sides said they had lost a month of business already.",
    ]
    kept, removed, _ = remove_junk_lines(lines, config.cleaning)
    assert [(removal.text, removal.reason) for removal in removed] == [
        (lines[1], "junk:post_footer"),
        (lines[2], "junk:comment_header"),
        (lines[4], "junk:comment_header"),
    ]
    assert kept == [lines[0], lines[3], lines[5]]


def test_a_timestamp_at_the_top_of_a_story_is_never_its_title(config):
    # 17 of the scale corpus's 20,000 articles had such a stamp as their title before the rule
    text = (
        "Monday, 24 January 2005, 03:43 GMT\n"
        "Ministers will publish plans for a new system of identity cards next week, the Home Office said on Sunday.\n"
        "The scheme, which has been debated for more than two years, would start with passports in 2008.\n"
    )
    cleaned = clean_article(text, config.cleaning)
    assert cleaned.metadata.title is None
    assert [(removal.text, removal.reason) for removal in cleaned.removals] == [
        ("Monday, 24 January 2005, 03:43 GMT", "junk:timestamp")
    ]
    assert len(cleaned.paragraphs) == 2


def test_a_line_judged_under_one_set_of_rules_is_judged_afresh_under_another(tmp_path):
    from flows.config import load_config

    promo, plain = tmp_path / "promo.toml", tmp_path / "plain.toml"
    promo.write_text("[[junk.rules]]\nname = 'promo'\npattern = '(?i)^buy now$'\n", encoding="utf-8")
    plain.write_text("[[junk.rules]]\nname = 'promo'\npattern = '(?i)^sell now$'\n", encoding="utf-8")
    promo_rules, plain_rules = load_config(promo).cleaning, load_config(plain).cleaning
    lines = ["Buy now", "", "The ministry confirmed the figures on Friday."]
    for _ in range(2):  # the second time from what each rules object remembers
        assert remove_junk_lines(lines, promo_rules)[1] == [Removal("Buy now", "junk:promo")]
        assert remove_junk_lines(lines, plain_rules)[1] == []


STORY = [
    "How much does a home remodel cost in California? It depends on where you live and what you change.",
    "Labour is the largest part of most remodeling budgets, often more than half of what a project costs.",
    "Materials make up most of the rest, and premium finishes can double the price of a kitchen.",
    "Permits are needed for structural, electrical and plumbing work, and their fees vary by city.",
    "Costs in San Francisco run well above the national average, while inland towns cost much less.",
    "Planning the work in detail, and doing the simple jobs yourself, keeps a budget under control.",
]


def test_a_story_printed_again_on_the_same_page_loses_its_second_copy():
    rules = BodyRules()
    lines = ["Remodeling costs", "", *STORY, "", "Related Post", *STORY, "Reach us at our Newark office."]
    kept, removals, _ = remove_repeated_runs(lines, rules)
    assert kept == ["Remodeling costs", "", *STORY, "", "Related Post", "Reach us at our Newark office."]
    assert [removal.reason for removal in removals] == ["junk:repeated_run"] * len(STORY)


def test_a_quoted_paragraph_or_a_short_repeated_run_is_kept():
    rules = BodyRules()
    forum = [STORY[0], "I disagree with that.", STORY[0], "So do I, and here is why.", *STORY[1:3], *STORY[1:3]]
    assert remove_repeated_runs(forum, rules) == (forum, [], [])
    short = ["Price", "$40", "Storage", "Cloud", "Power", "Battery"]
    page = [*short, STORY[0], *short]
    assert remove_repeated_runs(page, rules) == (page, [], [])
