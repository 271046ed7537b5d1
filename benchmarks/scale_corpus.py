"""A corpus of any size grown from the BBC stories, for the scale benchmark (bench_scale.py).

Stories are the distinct BBC stories (syndication.distinct_stories) and new ones written sentence by
sentence by a word chain per category trained on them: each word follows the two before it as somewhere
in the BBC text, or now and then only the one before it, so sentences are new (a sentence the BBC printed
is drawn again) while every word pair is real; a new story takes the shape (paragraphs, sentences) of a
BBC story of its category. Each story is published by one site and copied by 0-4 others, edited as
syndication.py edits copies (merged, split, trimmed, reworded paragraphs); now and then a story of an
earlier block is copied late. About 40% of the articles are copies. Every page carries its site's junk
(junk_sites.py), half the sites curl their quotes, and one article in ten carries typos and
run-together words (typo_corpus.py) at a low rate.

Article number n belongs to block n // 100, and a block's articles depend only on the seed and the block,
so any range of numbers can be written, in any order, and a later batch (--start) adds new stories and
copies without touching earlier files. Files are SITE/FOLDER/NUMBER_STORY.txt, FOLDER being n // 1000
(so at most 1,000 files a folder): a scraped text dump (title, junk and paragraphs a line each), or .html
with --html (a page with head metadata, header and menu, sidebar and footer around the article).

    .venv/bin/python benchmarks/scale_corpus.py OUT_DIR --articles N [--start S] [--html] [--seed K]
"""

from __future__ import annotations

import argparse
import functools
import html
import itertools
import multiprocessing
import os
import random
import sys
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import junk_sites
import syndication
import typo_corpus
from syndication import Story

SEED = 2004
# Articles are made in blocks of BLOCK numbers and filed in folders of FOLDER numbers.
BLOCK, FOLDER = 100, 1000
BBC_PER_BLOCK = 10
# Chances of 0, 1, 2, 3 and 4 copies beside a story's original, and of a late copy of an older story.
COPY_WEIGHTS = (0.64, 0.18, 0.1, 0.05, 0.03)
LATE_COPY = 0.03
# A block tells at least this many stories (at most 5 articles each): late copies pick among them.
STORIES_EVERY_BLOCK = BLOCK // len(COPY_WEIGHTS)
# Chance per word of following the one word before it rather than the two (breaks verbatim runs).
ONE_WORD_STEP = 0.2
MAX_SENTENCE_WORDS = 60
# Share of articles with typos, and their rates per token (overall about 1 misspelling in 3,000 words).
SLOPPY_SHARE = 0.1
MISSPELLING_RATE, RUNON_RATE = 1 / 300, 1 / 1000
CURLY_SITES = frozenset(site.slug for site in junk_sites.SITES[::2])
SENTENCE_EDGE = None


@dataclass(frozen=True)
class WordChain:
    """The words seen after each pair of words and after each word of a set of sentences (None: an edge)."""

    after_pair: dict[tuple[str | None, str | None], list[str | None]]
    after_word: dict[str | None, list[str | None]]

    @classmethod
    def train(cls, sentences: Iterator[str]) -> WordChain:
        """Count every transition of the sentences."""
        after_pair: dict[tuple[str | None, str | None], list[str | None]] = defaultdict(list)
        after_word: dict[str | None, list[str | None]] = defaultdict(list)
        for sentence in sentences:
            previous = current = SENTENCE_EDGE
            for word in [*sentence.split(), SENTENCE_EDGE]:
                after_pair[previous, current].append(word)
                after_word[current].append(word)
                previous, current = current, word
        return cls(dict(after_pair), dict(after_word))

    def sentence(self, rng: random.Random) -> str:
        """A sentence walked from the edge to the edge (cut at MAX_SENTENCE_WORDS)."""
        previous = current = SENTENCE_EDGE
        words: list[str] = []
        while len(words) < MAX_SENTENCE_WORDS:
            one_word = current is not SENTENCE_EDGE and rng.random() < ONE_WORD_STEP
            followers = self.after_word[current] if one_word else self.after_pair[previous, current]
            word = followers[int(rng.random() * len(followers))]
            if word is SENTENCE_EDGE:
                break
            words.append(word)
            previous, current = current, word
        return " ".join(words)


@dataclass(frozen=True)
class Sources:
    """What every block is made from: the BBC stories in the seed's order, word chains, typos, titles."""

    bbc: tuple[Story, ...]
    printed: frozenset[str]
    sentences: dict[str, WordChain]
    titles: dict[str, WordChain]
    typos: dict[str, tuple[str, ...]]
    english: frozenset[str]
    related_titles: tuple[str, ...]


@functools.cache
def sources(seed: int) -> Sources:
    """The sources for a seed, built once per process."""
    bbc = syndication.distinct_stories(syndication.load_stories())
    random.Random(seed).shuffle(bbc)
    by_category: dict[str, list[Story]] = defaultdict(list)
    for story in bbc:
        by_category[story.category].append(story)
    english = typo_corpus.english_words()
    return Sources(
        bbc=tuple(bbc),
        printed=frozenset(sentence for story in bbc for paragraph in story.paragraphs for sentence in paragraph),
        sentences={
            category: WordChain.train(s for story in stories for paragraph in story.paragraphs for s in paragraph)
            for category, stories in by_category.items()
        },
        titles={
            category: WordChain.train(story.title for story in stories) for category, stories in by_category.items()
        },
        typos=typo_corpus.typo_table(typo_corpus.codespell_wheel(), english),
        english=english,
        related_titles=tuple(junk_sites.one_line(story.title) for story in bbc),
    )


def new_sentence(chain: WordChain, printed: frozenset[str], rng: random.Random) -> str:
    """A sentence of the chain that the BBC did not print."""
    sentence = chain.sentence(rng)
    while not sentence or sentence in printed:
        sentence = chain.sentence(rng)
    return sentence


def new_story(story_id: str, source: Sources, rng: random.Random) -> Story:
    """A story of new sentences in the shape of a random BBC story, of its category."""
    shape = rng.choice(source.bbc)
    chain = source.sentences[shape.category]
    paragraphs = tuple(tuple(new_sentence(chain, source.printed, rng) for _ in p) for p in shape.paragraphs)
    return Story(story_id, shape.category, source.titles[shape.category].sentence(rng), paragraphs)


def story(seed: int, block: int, index: int) -> Story:
    """The block's index-th story: a BBC story in the first slots of the first blocks, else a new one."""
    source = sources(seed)
    bbc_index = block * BBC_PER_BLOCK + index
    if index < BBC_PER_BLOCK and bbc_index < len(source.bbc):
        return source.bbc[bbc_index]
    return new_story(f"s{block:05d}-{index:03d}", source, random.Random(f"{seed}:{block}:{index}"))


@dataclass(frozen=True)
class ScaleArticle:
    """One article of the corpus: its number, the story it tells, its role and its page."""

    number: int
    story_id: str
    role: str
    page: junk_sites.Page

    @property
    def path(self) -> str:
        """SITE/FOLDER/NUMBER_STORY, without the suffix."""
        return f"{self.page.site}/{self.number // FOLDER:04d}/{self.number:07d}_{self.story_id}"

    @property
    def body(self) -> list[str]:
        """The article's own paragraphs, as printed."""
        return [line.text for line in self.page.lines if line.role == "body"]


def block_articles(seed: int, block: int) -> list[ScaleArticle]:
    """The block's BLOCK articles: story groups (original and copies) and late copies, in order."""
    rng = random.Random(f"{seed}:block:{block}")
    articles: list[ScaleArticle] = []
    stories = itertools.count()
    while len(articles) < BLOCK:
        if block and rng.random() < LATE_COPY:
            told = story(seed, rng.randrange(block), rng.randrange(STORIES_EVERY_BLOCK))
            articles.append(publish(seed, block * BLOCK + len(articles), told, rng.choice(junk_sites.SITES), rng))
            continue
        told = story(seed, block, next(stories))
        copies = rng.choices(range(len(COPY_WEIGHTS)), COPY_WEIGHTS)[0]
        for copy, site in enumerate(rng.sample(junk_sites.SITES, 1 + copies)):
            articles.append(publish(seed, block * BLOCK + len(articles), told, site, rng, original=copy == 0))
    return articles[:BLOCK]


def publish(
    seed: int, number: int, told: Story, site: junk_sites.Site, rng: random.Random, original: bool = False
) -> ScaleArticle:
    """The story as the site prints it: as written or edited, with typos, quote style and junk."""
    written = syndication.original_paragraphs(told) if original else syndication.edited_paragraphs(told, rng)
    paragraphs, title = with_typos([p.text for p in written], sources(seed), rng), told.title
    if site.slug in CURLY_SITES:
        paragraphs, title = [syndication.curl_quotes(p) for p in paragraphs], syndication.curl_quotes(title)
    article = junk_sites.Article(told.id, told.category, title, tuple(paragraphs))
    page = junk_sites.make_page(site, article, rng, sources(seed).related_titles)
    return ScaleArticle(number, told.id, "original" if original else "copy", page)


def with_typos(paragraphs: list[str], source: Sources, rng: random.Random) -> list[str]:
    """The paragraphs, with misspellings and run-together words in SLOPPY_SHARE of the articles."""
    if rng.random() >= SLOPPY_SHARE:
        return paragraphs
    body = "\n\n".join(paragraphs)
    matches = list(typo_corpus.TOKEN.finditer(body))
    typed, _, _ = typo_corpus.inject_errors(
        body, matches, source.typos, source.english, rng, MISSPELLING_RATE, RUNON_RATE
    )
    return typed.split("\n\n")


# How junk_sites' line kinds are laid out on an HTML page: as links, as a figure, or as plain blocks.
LINK_KINDS = frozenset({"navigation", "related", "share", "tags"})
HEADER_KINDS = frozenset({"navigation", "cookies", "furniture"})
FOOTER_KINDS = frozenset({"footer", "copyright"})
# What every page of a site carries besides the article: a section menu, sidebar lists, footer links, scripts.
MENU = (
    "News",
    "UK",
    "World",
    "Business",
    "Markets",
    "Economy",
    "Companies",
    "Politics",
    "Elections",
    "Technology",
    "Science",
    "Health",
    "Education",
    "Environment",
    "Sport",
    "Football",
    "Cricket",
    "Rugby",
    "Tennis",
    "Golf",
    "Entertainment",
    "Film",
    "Music",
    "TV",
    "Books",
    "Arts",
    "Lifestyle",
    "Travel",
    "Food",
    "Money",
    "Property",
    "Motoring",
    "Opinion",
    "Letters",
    "Obituaries",
    "Weather",
    "Video",
    "Podcasts",
    "Puzzles",
)
FOOTER_LINKS = (
    "About us",
    "Contact us",
    "Careers",
    "Advertise with us",
    "Terms and conditions",
    "Privacy notice",
    "Cookie policy",
    "Accessibility",
    "Complaints",
    "Corrections",
    "Newsletters",
    "RSS feeds",
    "Site map",
    "Archive",
    "Help",
)
SIDEBAR_LISTS = (("Most read", 10), ("Latest news", 8), ("Editor's picks", 5))
STYLE = (
    "body{margin:0;font-family:Georgia,serif;color:#222}.site-header{background:#fff;border-bottom:1px solid #ddd}"
    ".menu{display:flex;flex-wrap:wrap;list-style:none;padding:0}.menu li{margin:0 .6em}.headline{font-size:2.2em}"
    "article p{line-height:1.6;font-size:1.1em}.sidebar{float:right;width:300px}.ad{min-height:250px;background:#f4f4f4}"
    ".site-footer{background:#111;color:#eee;padding:2em}.site-footer a{color:#ccc}"
)
SCRIPT = (
    "window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments);}gtag('js',new Date());"
    "gtag('config','UA-000000-1');var googletag=googletag||{};googletag.cmd=googletag.cmd||[];"
    "googletag.cmd.push(function(){googletag.defineSlot('/1234/news/article',[[300,250],[300,600]],'ad-side')"
    ".addService(googletag.pubads());googletag.pubads().enableSingleRequest();googletag.enableServices();});"
    "document.documentElement.className=document.documentElement.className.replace('no-js','js');"
)


def html_group(kind: str, texts: list[str]) -> str:
    """One run of lines of a kind as HTML."""
    escaped = [html.escape(text) for text in texts]
    if kind == "title":
        return "".join(f'<h1 class="headline">{text}</h1>' for text in escaped)
    if kind == "body":
        return "\n".join(f"<p>{text}</p>" for text in escaped)
    if kind == "caption":
        figures = (f'<figure><img src="/media/photo.jpg" alt=""><figcaption>{t}</figcaption></figure>' for t in escaped)
        return "".join(figures)
    if kind in LINK_KINDS:
        return link_list(kind, escaped)
    return f'<div class="{kind}">' + "".join(f"<div>{text}</div>" for text in escaped) + "</div>"


def link_list(kind: str, escaped: Sequence[str]) -> str:
    """Escaped texts as a list of links."""
    items = "".join(f'<li><a href="/{kind}/{i}">{text}</a></li>' for i, text in enumerate(escaped))
    return f'<ul class="{kind.lower().replace(" ", "-")}">{items}</ul>'


def sidebar(teasers: Sequence[str], rng: random.Random) -> str:
    """The site's sidebar: lists of other stories' titles and an ad slot."""
    lists = (
        f"<section><h2>{name}</h2>{link_list(name, [html.escape(t) for t in rng.sample(teasers, count)])}</section>"
        for name, count in SIDEBAR_LISTS
    )
    return '<div class="ad" id="ad-side"></div>' + "".join(lists)


def render_html(article: ScaleArticle, teasers: Sequence[str]) -> str:
    """The page as a site serves it: head metadata, header and menu, the article, a sidebar, a footer."""
    page, rng = article.page, random.Random(article.number)
    groups = [(kind, [line.text for line in lines]) for kind, lines in itertools.groupby(page.lines, lambda x: x.kind)]
    last_body = max(i for i, (kind, _) in enumerate(groups) if kind == "body")
    header = [html_group(k, t) for k, t in groups if k in HEADER_KINDS]
    footer = [html_group(k, t) for k, t in groups if k in FOOTER_KINDS]
    main = [(i, html_group(k, t)) for i, (k, t) in enumerate(groups) if k not in HEADER_KINDS | FOOTER_KINDS]
    title, name, category = html.escape(page.article.title), page.site.capitalize(), page.article.category
    published = junk_sites.random_day(rng).isoformat()
    url = f"https://www.{page.site}.example.com/{category}/{article.number}"
    description = html.escape(article.body[0][:160])
    return f"""<!DOCTYPE html>
<html lang="en-GB" class="no-js"><head><meta charset="utf-8">
<title>{title} | {name}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="description" content="{description}">
<meta property="og:type" content="article"><meta property="og:site_name" content="{name}">
<meta property="og:title" content="{title}"><meta property="og:url" content="{url}">
<meta property="article:published_time" content="{published}"><meta property="article:section" content="{category}">
<link rel="canonical" href="{url}"><link rel="stylesheet" href="/assets/site.css">
<style>{STYLE}</style><script>{SCRIPT}</script>
</head><body class="article-page section-{category}">
<header class="site-header"><a class="logo" href="/">{name}</a>{link_list("menu", MENU)}{"".join(header)}</header>
<nav class="breadcrumb"><a href="/">Home</a> &rsaquo; <a href="/{category}">{category.capitalize()}</a></nav>
<main><article>{"".join(block for i, block in main if i <= last_body)}</article>
{"".join(block for i, block in main if i > last_body)}</main>
<aside class="sidebar">{sidebar(teasers, rng)}</aside>
<footer class="site-footer">{link_list("footer-links", FOOTER_LINKS)}{"".join(footer)}</footer>
<script src="/assets/app.js" defer></script>
</body></html>
"""


def write_block(out: Path, seed: int, block: int, first: int, end: int, as_html: bool) -> int:
    """Write the block's articles numbered first to end - 1 under out; return how many."""
    articles = block_articles(seed, block)[first - block * BLOCK : end - block * BLOCK]
    for article in articles:
        path = out / (article.path + (".html" if as_html else ".txt"))
        path.parent.mkdir(parents=True, exist_ok=True)
        text = render_html(article, sources(seed).related_titles) if as_html else article.page.render()
        path.write_text(text, encoding="utf-8")
    return len(articles)


def block_ranges(start: int, count: int) -> list[tuple[int, int, int]]:
    """(block, first, end) for every block the article numbers start to start + count - 1 touch."""
    end = start + count
    return [
        (block, max(start, block * BLOCK), min(end, (block + 1) * BLOCK))
        for block in range(start // BLOCK, -(-end // BLOCK))
    ]


def _write_block_job(job: tuple[Path, int, int, int, int, bool]) -> int:
    return write_block(*job)


def write_corpus(out: Path, start: int, count: int, as_html: bool, seed: int = SEED, workers: int = 0) -> int:
    """Write articles start to start + count - 1 under out on `workers` processes (0: every core)."""
    jobs = [(out, seed, block, first, end, as_html) for block, first, end in block_ranges(start, count)]
    workers = min(workers or os.cpu_count() or 1, len(jobs))
    if workers <= 1:
        return sum(map(_write_block_job, jobs))
    sources(seed)  # built before the workers fork, so they share it
    with multiprocessing.Pool(workers) as pool:
        return sum(pool.imap_unordered(_write_block_job, jobs, chunksize=8))


def remove_articles(out: Path, start: int, count: int) -> None:
    """Delete the files of articles start to start + count - 1 (a batch written by write_corpus)."""
    for folder in range(start // FOLDER, -(-(start + count) // FOLDER)):
        for site in junk_sites.SITES:
            for path in (out / site.slug / f"{folder:04d}").glob("*_*"):
                if start <= int(path.name.partition("_")[0]) < start + count:
                    path.unlink()


def main(argv: Sequence[str] | None = None) -> int:
    """Write a batch of the scale corpus."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir", type=Path, help="folder to write the articles into")
    parser.add_argument("--articles", type=int, required=True, help="how many articles to write")
    parser.add_argument("--start", type=int, default=0, help="number of the first article (default 0)")
    parser.add_argument("--html", action="store_true", help="write HTML pages instead of text dumps")
    parser.add_argument("--seed", type=int, default=SEED, help=f"corpus seed (default {SEED})")
    parser.add_argument("--workers", type=int, default=0, help="processes (default: one per core)")
    arguments = parser.parse_args(argv)
    syndication.require_data()
    started = time.monotonic()
    written = write_corpus(
        arguments.out_dir, arguments.start, arguments.articles, arguments.html, arguments.seed, arguments.workers
    )
    print(f"scale_corpus: wrote {written:,} articles under {arguments.out_dir} in {time.monotonic() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
