"""Fake news sites that wrap BBC articles in their own site junk, with an exact record of every line.

Each site has a fixed style: lines before the body, groups of lines dropped between body paragraphs,
and lines after it. Most junk lines recur on every page of a site, as real boilerplate does; fields
in braces ({count}, {date}, {caption_*}, {related}, ...) vary from page to page.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import html
import json
import random
import re
from collections.abc import Callable
from pathlib import Path

from harness import bbc_records

Slot = tuple[str, str]  # (junk kind, line template)


@dataclasses.dataclass(frozen=True)
class Article:
    """A BBC article: id, category, title and body paragraphs."""

    id: str
    category: str
    title: str
    paragraphs: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Line:
    """One line written to a page: its text, role (title, junk or body), junk kind and junk template."""

    text: str
    role: str
    kind: str
    template: str = ""


@dataclasses.dataclass(frozen=True)
class Site:
    """A fake site's style: junk above the body, groups of junk inside it, junk below it."""

    slug: str
    top: tuple[Slot, ...]
    inline: tuple[tuple[Slot, ...], ...]
    bottom: tuple[Slot, ...]
    blank_lines: bool


@dataclasses.dataclass(frozen=True)
class Page:
    """One article as a site published it: every line in order, and the article it holds."""

    site: str
    article: Article
    lines: tuple[Line, ...]
    blank_lines: bool

    @property
    def path(self) -> str:
        """The page's path under the raw folder."""
        return f"{self.site}/{self.article.id}.txt"

    def render(self) -> str:
        """The page as a scraped text file."""
        return ("\n\n" if self.blank_lines else "\n").join(line.text for line in self.lines) + "\n"


def slots(kind: str, *templates: str) -> tuple[Slot, ...]:
    """Junk line templates of one kind."""
    return tuple((kind, template) for template in templates)


def related(count: int, template: str = "{related}") -> tuple[Slot, ...]:
    """A run of `count` related-article lines."""
    return slots("related", *[template] * count)


COMMENT = slots("comments", "{user}", "{ago}", "{comment}", "Reply", "Report abuse")

SITES = (
    Site(
        "dailyledger",
        top=slots("ads", "Header Ads")
        + slots("furniture", "Breaking News")
        + slots(
            "navigation", "Home", "World", "Business", "Politics", "Sport", "Technology", "Entertainment", "Contact Us"
        )
        + slots("title_repeat", "{title}")
        + slots("byline", "By {author}")
        + slots("timestamp", "{date}")
        + slots("ads", "Post Top Ad"),
        inline=(slots("ads", "Advertisement"),),
        bottom=slots("ads", "Post Bottom Ad")
        + slots("share", "Share this", "Tweet", "Email", "{count}")
        + slots("related", "Related Posts")
        + related(3)
        + slots("comments", "{n} comments", "Leave a Reply")
        + slots("copyright", "© 2005 The Daily Ledger. All rights reserved.")
        + slots("ads", "Footer Ads"),
        blank_lines=False,
    ),
    Site(
        "northernwire",
        top=slots("navigation", "Home | National | International | Business | Sports | Entertainment")
        + slots("furniture", "Latest News")
        + slots("timestamp", "Last Updated: {date} {clock}")
        + slots("ids", "News ID: {id}")
        + slots("title_repeat", "{title}"),
        inline=(slots("caption", "{caption_photo}"),),
        bottom=slots("share", "Share on Facebook", "Share on Twitter")
        + slots("comments", "Post your comment", "Name:", "Email:", "Comment:")
        + slots("captcha", "Security code:", "Captcha refresh", "Enter the code shown above:", "Submit")
        + slots("page_generation", "Page generated in {secs} sec")
        + slots("copyright", "Copyright © 2005 Northern Wire. All rights reserved."),
        blank_lines=True,
    ),
    Site(
        "metroherald",
        top=slots(
            "cookies",
            "We use cookies to improve your experience on our website. "
            "By continuing to browse, you agree to our use of cookies.",
            "Accept",
        )
        + slots("navigation", "News", "UK", "World", "Money", "Sport", "Tech", "Showbiz")
        + slots("byline", "By {author}, {beat}")
        + slots("timestamp", "{date}, {clock}"),
        inline=(
            slots("caption", "{caption_photo}"),
            slots(
                "newsletter",
                "Sign up for our newsletter",
                "Get the day's top stories delivered to your inbox every morning.",
                "Enter your email address",
                "Subscribe",
            ),
        ),
        bottom=slots("related", "More on this story") + related(2) + slots("copyright", "© Metro Herald 2005"),
        blank_lines=True,
    ),
    Site(
        "valleytimes",
        top=slots("furniture", "Skip to main content", "Menu", "Search", "Sign in")
        + slots("timestamp", "Updated {clock}, {date}")
        + slots("byline", "By {author}"),
        inline=(
            slots("ads", "Advertisement", "Story continues below advertisement"),
            slots("caption", "{caption_picture}"),
        ),
        bottom=slots("related", "Most Read")
        + related(1, "1. {related}")
        + related(1, "2. {related}")
        + related(1, "3. {related}")
        + slots("footer", "About us | Contact | Privacy policy | Terms of use")
        + slots("copyright", "Copyright © 2005 The Valley Times. All rights reserved."),
        blank_lines=False,
    ),
    Site(
        "globedigest",
        top=slots("navigation", "Home » {section}")
        + slots("share", "Facebook", "Twitter", "LinkedIn", "WhatsApp", "Email", "{count} shares")
        + slots("timestamp", "{minutes} min read")
        + slots("title_repeat", "{title}"),
        inline=(related(1, "[Read more: {related}]"),),
        bottom=slots("tags", "Tags: {tags}")
        + slots("furniture", "Print this article")
        + slots("related", "Related Articles")
        + related(3, "• {related}")
        + slots("copyright", "© 2005 Globe Digest Media Ltd."),
        blank_lines=True,
    ),
    Site(
        "courier",
        top=slots("navigation", "Home", "News", "Sport", "Business", "Opinion", "Features", "Classifieds")
        + slots("timestamp", "{date}")
        + slots("byline", "By {author}"),
        inline=(slots("ads", "ADVERTISEMENT"),),
        bottom=slots("comments", "{n} comments", "Sort by: Newest | Oldest | Most popular")
        + COMMENT
        + COMMENT
        + slots("comments", "Add your comment", "You must be logged in to post a comment.")
        + slots("copyright", "© 2005 Courier Newspapers Ltd."),
        blank_lines=False,
    ),
    Site(
        "citypulse",
        top=slots("furniture", "Skip to content", "London {temperature}°C", "Log in | Register")
        + slots("related", "Trending: Election 2005 | Six Nations | Oscars")
        + slots("title_repeat", "{title}")
        + slots("byline", "Written by {author}")
        + slots("timestamp", "Published: {date}"),
        inline=(slots("ads", "Sponsored Content", "{promo}"),),
        bottom=slots("related", "You may also like")
        + related(2)
        + slots("share", "Follow us on Twitter", "Like us on Facebook")
        + slots("copyright", "© 2005 City Pulse. All rights reserved."),
        blank_lines=True,
    ),
    Site(
        "asiapost",
        top=slots("source", "Source : Asia Business Post")
        + slots("timestamp", "Published : {iso}")
        + slots("furniture", "Font size: A A A", "Print | Email | Share")
        + slots("share", "Views: {views}")
        + slots("title_repeat", "{title}"),
        inline=(slots("caption", "{caption_agency}"),),
        bottom=slots("furniture", "Rate this article: 1 2 3 4 5")
        + slots(
            "footer",
            "Disclaimer: The views expressed in this article are those of the author and do not "
            "necessarily reflect the views of Asia Business Post.",
        )
        + slots(
            "copyright",
            "Copyright © 2005 Asia Business Post Co., Ltd. All rights reserved. "
            "Reproduction in whole or in part without permission is prohibited.",
        ),
        blank_lines=False,
    ),
    Site(
        "continental",
        top=slots(
            "navigation",
            "English | Français | Deutsch | Español",
            "Europe",
            "Americas",
            "Asia",
            "Africa",
            "Middle East",
            "Economy",
            "Culture",
        )
        + slots("furniture", "Listen to this article", "Audio {duration}")
        + slots("timestamp", "{short_date} {clock}"),
        inline=(slots("caption", "{caption_bracket}"),),
        bottom=slots("furniture", "Download mp3", "Back to top")
        + slots("footer", "Contact | About us | Privacy policy | Terms of use | RSS")
        + slots("copyright", "© 2005 Continental Report"),
        blank_lines=True,
    ),
    Site(
        "thebuzz",
        top=slots("furniture", "Get the app")
        + slots("share", "Follow us on Twitter", "Like us on Facebook")
        + slots("title_repeat", "{title}")
        + slots("byline", "By {author_upper} FOR THE BUZZ")
        + slots("timestamp", "Published: {clock}, {date} | Updated: {clock}, {date}")
        + slots("furniture", "Scroll down for video"),
        inline=(slots("caption", "{caption_image}"), slots("ads", "Advertisement")),
        bottom=slots("share", "Share or comment on this article", "{count} shares")
        + slots("related", "More from The Buzz")
        + related(2)
        + slots("copyright", "© 2005 The Buzz Media Group"),
        blank_lines=False,
    ),
)

AUTHORS = (
    "Sarah Jones",
    "Mark Davies",
    "Priya Patel",
    "Tom Fletcher",
    "Helen McKay",
    "David Okafor",
    "Laura Chen",
    "James Whitfield",
    "Fiona Grant",
    "Rajesh Kumar",
)
BEATS = ("Business Reporter", "Political Correspondent", "Sports Editor", "Technology Reporter", "Arts Correspondent")
CROWDS = (
    "Protesters",
    "Supporters",
    "Fans",
    "Officials",
    "Shoppers",
    "Investors",
    "Delegates",
    "Workers",
    "Visitors",
    "Commuters",
)
SCENES = (
    "gather outside the venue",
    "wait for the announcement",
    "queue at the entrance",
    "watch the result",
    "arrive for the meeting",
    "react to the news",
    "line the streets",
    "leave the building",
)
CITIES = (
    "London",
    "Brussels",
    "Glasgow",
    "Cardiff",
    "New York",
    "Tokyo",
    "Paris",
    "Manchester",
    "Belfast",
    "Frankfurt",
)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
PHOTOGRAPHERS = (
    "Peter Macdiarmid",
    "Kirsty Wigglesworth",
    "Carl de Souza",
    "Leon Neal",
    "Dan Kitwood",
    "Jeff Mitchell",
    "Oli Scarff",
    "Matt Cardy",
)
AGENCIES = ("Reuters", "AFP", "Getty Images", "PA", "AP", "EPA")
USERS = ("jonny_b", "Mike from Leeds", "sue1972", "RealistDave", "anna.k", "Grumpy Old Man", "eddie_w", "Carol S")
COMMENTS = (
    "Great article, thanks for sharing!",
    "I couldn't agree more with this.",
    "Typical. Nobody ever asks the ordinary people what they think.",
    "This is exactly what I have been saying for years.",
    "Does anyone actually believe this?",
    "Well written piece, very informative.",
    "Shocking, but sadly not surprising.",
    "Can we have some balanced reporting for once?",
    "Brilliant news, about time too.",
    "I'll believe it when I see it.",
)
PROMOS = (
    "Doctors stunned by this one simple trick",
    "You won't believe what these stars look like now",
    "Top 10 holiday destinations for 2005",
    "Win a luxury weekend break for two",
    "Compare the best mortgage deals today",
)
FIRST_DAY = dt.date(2004, 10, 1)
DAYS = 210


def scene(rng: random.Random) -> str:
    """What a photo shows: "Fans gather outside the venue in Glasgow on Tuesday"."""
    return f"{rng.choice(CROWDS)} {rng.choice(SCENES)} in {rng.choice(CITIES)} on {rng.choice(WEEKDAYS)}"


def random_day(rng: random.Random) -> dt.date:
    """A day in the BBC corpus's months."""
    return FIRST_DAY + dt.timedelta(days=rng.randrange(DAYS))


DRAWS: dict[str, Callable[[random.Random], str]] = {
    "count": lambda rng: rng.choice(
        (str(rng.randint(0, 999)), f"{rng.randint(1, 9)},{rng.randint(0, 999):03d}", f"{rng.randint(11, 99) / 10:.1f}k")
    ),
    "n": lambda rng: str(rng.randint(0, 60)),
    "views": lambda rng: f"{rng.randint(100, 25000):,}",
    "id": lambda rng: str(rng.randint(100000, 999999)),
    "secs": lambda rng: f"{rng.uniform(0.01, 0.9):.4f}",
    "clock": lambda rng: f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d} GMT",
    "iso": lambda rng: f"{random_day(rng):%Y-%m-%d} {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}",
    "duration": lambda rng: f"{rng.randint(1, 9):02d}:{rng.randint(0, 59):02d}",
    "temperature": lambda rng: str(rng.randint(-2, 19)),
    "user": lambda rng: rng.choice(USERS),
    "ago": lambda rng: f"{rng.randint(2, 23)} hours ago",
    "comment": lambda rng: rng.choice(COMMENTS),
    "promo": lambda rng: rng.choice(PROMOS),
    "caption_photo": lambda rng: f"{scene(rng)}. Photo: {rng.choice(PHOTOGRAPHERS)}/{rng.choice(AGENCIES)}",
    "caption_picture": lambda rng: f"{scene(rng)}. Picture: {rng.choice(AGENCIES)}",
    "caption_agency": lambda rng: f"{scene(rng)}. {rng.choice(AGENCIES)}",
    "caption_bracket": lambda rng: f"{scene(rng)} ({rng.choice(AGENCIES)})",
    "caption_image": lambda rng: f"{scene(rng)} (Image: {rng.choice(AGENCIES)})",
}


class Fields(dict):
    """Template fields: fixed per page (title, author, date), or drawn afresh each time a template uses them."""

    def __init__(self, rng: random.Random, article: Article, related_titles: tuple[str, ...]) -> None:
        """Draw the page's fixed fields."""
        author = rng.choice(AUTHORS)
        day = random_day(rng)
        words = sorted({word.lower() for word in re.findall(r"[A-Za-z]{4,}", article.title)})
        super().__init__(
            title=article.title,
            author=author,
            author_upper=author.upper(),
            beat=rng.choice(BEATS),
            date=f"{day:%A}, {day.day} {day:%B %Y}",
            short_date=f"{day:%d/%m/%Y}",
            section=article.category.capitalize(),
            tags=", ".join(rng.sample(words, min(3, len(words)))),
            minutes=str(max(1, sum(len(p.split()) for p in article.paragraphs) // 200)),
        )
        self.rng = rng
        self.related_titles = related_titles

    def __missing__(self, key: str) -> str:
        """Draw a varying field (a counter, a time, a caption, a related title) afresh."""
        if key == "related":
            return self.rng.choice(self.related_titles)
        return DRAWS[key](self.rng)


def junk_lines(group: tuple[Slot, ...], fields: Fields) -> list[Line]:
    """Fill in a group of junk templates."""
    return [Line(template.format_map(fields), "junk", kind, template) for kind, template in group]


def make_page(site: Site, article: Article, rng: random.Random, related_titles: tuple[str, ...]) -> Page:
    """Publish an article on a site: title, top junk, body with junk groups between paragraphs, bottom junk."""
    fields = Fields(rng, article, related_titles)
    gaps = max(1, len(article.paragraphs) - 1)
    positions = [1 + rng.randrange(gaps) for _ in site.inline]
    body: list[Line] = []
    for index, paragraph in enumerate(article.paragraphs):
        for group, position in zip(site.inline, positions):
            if position == index:
                body.extend(junk_lines(group, fields))
        body.append(Line(paragraph, "body", "body"))
    for group, position in zip(site.inline, positions):
        if position >= len(article.paragraphs):
            body.extend(junk_lines(group, fields))
    lines = [
        Line(article.title, "title", "title"),
        *junk_lines(site.top, fields),
        *body,
        *junk_lines(site.bottom, fields),
    ]
    return Page(site.slug, article, tuple(lines), site.blank_lines)


def one_line(text: str) -> str:
    """A BBC title or paragraph on one line, its few HTML entities ("caf&#233;") decoded as a page shows them."""
    return " ".join(html.unescape(text).split())


def load_articles(path: Path) -> list[Article]:
    """Every BBC article of the JSON-lines file, in file order."""
    records = bbc_records(path)
    return [
        Article(
            record["id"],
            record["category"],
            one_line(record["title"]),
            tuple(one_line(p) for p in record["text"].split("\n\n") if p.strip()),
        )
        for record in records
    ]


def distinct(articles: list[Article]) -> list[Article]:
    """Drop the corpus's own duplicates (the same story filed twice): one article per first paragraph."""
    seen: set[str] = set()
    kept = []
    for article in articles:
        key = hashlib.sha256(" ".join(article.paragraphs[:1]).lower().encode()).hexdigest()
        if article.paragraphs and key not in seen:
            seen.add(key)
            kept.append(article)
    return kept


def build_pages(articles: list[Article], count: int, seed: int) -> list[Page]:
    """Spread `count` distinct articles over the sites; other articles' titles feed related-article lists."""
    rng = random.Random(seed)
    pool = distinct(articles)
    chosen = rng.sample(pool, count)
    chosen_ids = {article.id for article in chosen}
    related_titles = tuple(article.title for article in pool if article.id not in chosen_ids)
    return [make_page(SITES[index % len(SITES)], article, rng, related_titles) for index, article in enumerate(chosen)]


def write_pages(pages: list[Page], raw_dir: Path, record_path: Path) -> None:
    """Write each page as raw_dir/<site>/<id>.txt and the record of every line as JSON lines."""
    with open(record_path, "w", encoding="utf-8") as record:
        for page in pages:
            path = raw_dir / page.path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(page.render(), encoding="utf-8")
            lines = [dataclasses.asdict(line) for line in page.lines]
            record.write(json.dumps({"path": page.path, "article": page.article.id, "lines": lines}) + "\n")
