"""``tracker creators``: the scored creator pool across campaigns (rank, show, tag)."""

from __future__ import annotations

import time

import click

from tracker.contracts.vocab import PLATFORMS
from tracker.errors import InvalidInput
from tracker.report import queries as q
from tracker.report.options import format_option, friendly_errors, reading, tenant_option
from tracker.report.tables import Column, likes_hidden_note, render, to_csv, to_json
from tracker.report.tables import cell as render_value
from tracker.settings import Settings
from tracker.store.access import open_writer

RANK_BY = {
    "spend": "spend DESC", "posts": "posts DESC", "save_rate": "save_rate DESC", "search_rate": "search_rate DESC",
    "intent_rate": "intent_rate DESC", "tail_share": "tail_share DESC", "heating_response": "heating_response DESC",
    "cpe": "median_cpe[{platform}] ASC", "cpm": "median_cpm[{platform}] ASC",
}

COLUMNS: list[Column] = [
    ("creator_id", "creator", "text"), ("name", "name", "text"), ("tier", "tier", "text"),
    ("campaigns", "campaigns", "count"), ("posts", "posts", "count"), ("few_posts", "few posts", "text"),
    ("spend", "spend {cur}", "money"), ("cpe", "median CPE", "money"), ("cpm", "median CPM", "money"),
    ("save_rate", "save rate", "rate"), ("search_rate", "search rate", "rate"), ("intent_rate", "intent rate", "rate"),
    ("tail_share", "tail", "rate"), ("heating_response", "eng/heat", "ratio"), ("tags", "tags", "text"),
]

MIN_POSTS = 3
"""Posts a creator needs to be ranked with the others: one or two posts' rates are a draw, not a record
(a single post with 2 comments, both asking for the link, read an intent rate of 100 %)."""


@click.group()
def creators() -> None:
    """The creator pool: scorecards across campaigns, in the tenant's reporting currency.

    One scorecard per creator id, over all its campaigns and platforms (CPE and
    CPM per platform); a creator's posts on two platforms are one card when the
    registry gives them the same creator id.
    """


@creators.command()
@click.option("--by", type=click.Choice(sorted(RANK_BY)), default="save_rate", show_default=True,
              help="Rank by this figure (cpe / cpm: median on --platform, lowest first).")
@click.option("--platform", type=click.Choice(PLATFORMS), default="douyin", show_default=True,
              help="Platform of the median CPE / CPM shown.")
@click.option("--tag", default=None, help="Only creators carrying this tag.")
@click.option("--min-posts", type=click.IntRange(1, 10_000), default=MIN_POSTS, show_default=True,
              help="Creators with fewer posts are marked 'few posts' and ranked after the others (1: all together).")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@format_option
@tenant_option
def rank(by: str, platform: str, tag: str | None, min_posts: int, limit: int, fmt: str, tenant: str | None) -> None:
    """Rank creators by a scorecard figure; n/a figures sort last.

    Each figure covers the creator's posts that have it, in every campaign:
    save rate = saves ÷ views and search rate = searches ÷ views (posts with
    both), intent rate = intent comments ÷ comments analysed, tail = engagements
    after the 72 h burst window ÷ engagements (posts past it), eng/heat =
    incremental engagements of heated pulses ÷ their spend. CPE and CPM are
    medians per platform (engagements are only comparable within one platform).

    A creator with fewer than --min-posts posts is marked (few posts; few_posts
    in csv and json) and ranked after the others, whatever its figures: a
    single post's rates are too few to choose by.

    \b
    Example:
      tracker creators rank --by cpe --platform xiaohongshu --tag beauty
    """
    order = RANK_BY[by].format(platform="{p:String}")
    sql = ("SELECT *, median_cpe[{p:String}] AS cpe, median_cpm[{p:String}] AS cpm, "
           "toBool(posts < {m:UInt32}) AS few_posts FROM v_creator_scorecard "
           "WHERE tenant = {t:String} AND ({tag:String} = '' OR has(tags, {tag:String})) "
           f"AND ({by!r} NOT IN ('cpe', 'cpm') OR mapContains(median_cpe, {{p:String}})) "
           f"ORDER BY few_posts, {order} NULLS LAST, creator_id LIMIT {limit}")
    with reading() as (_, reader):
        t = q.resolve_tenant(reader, tenant, "creators")
        rows = reader.query(sql, {"t": t, "p": platform, "tag": tag or "", "m": min_posts}).named()
        if not rows and tag:
            in_use = [r[0] for r in reader.query("SELECT DISTINCT arrayJoin(tags) AS tag FROM creators FINAL "
                                                 "WHERE tenant = {t:String} ORDER BY tag", {"t": t}).rows]
            if tag not in in_use:
                shown = ", ".join(in_use[:30]) + (f" and {len(in_use) - 30} more" if len(in_use) > 30 else "")
                raise click.ClickException(f"no creator is tagged {tag!r} (tags in use: {shown or 'none'})")
    currency = rows[0]["currency"] if rows else ""
    if fmt == "json":
        click.echo(to_json(rows), nl=False)
    elif fmt == "csv":
        click.echo(to_csv(COLUMNS, rows), nl=False)
    else:
        click.echo(f"creators of {t} by {by} (median CPE / CPM on {platform})")
        click.echo(render(COLUMNS, [{**r, "few_posts": "yes" if r["few_posts"] else ""} for r in rows],
                          cur=currency), nl=False)
        if any(r["few_posts"] for r in rows):
            click.echo(f"few posts: fewer than {min_posts}, ranked after the others (--min-posts 1 ranks them "
                       "together)")


POST_SQL = """
    SELECT campaign_id, post_id, platform, content_form, published_at, currency, spend, cpe, cpm,
           tenant_currency, spend_tenant,
           if(likes_hidden = 1, NULL, spend_tenant / nullIf(toFloat64(engagements), 0)) AS cpe_tenant,
           spend_tenant * 1000 / nullIf(toFloat64(views), 0) AS cpm_tenant,
           views, engagements, tail_share
    FROM v_roi_post WHERE tenant = {t:String} AND creator_id = {c:String} ORDER BY published_at, post_id
"""
"""A creator's posts: spend, CPE and CPM in their campaign's reporting currency (``currency``) and in the
tenant's (``*_tenant``, ``tenant_currency``), as the scorecard's medians take them (v_creator_scorecard)."""

POST_COLUMNS: list[Column] = [
    ("campaign_id", "campaign", "text"), ("post_id", "post", "text"), ("content_form", "form", "text"),
    ("spend_tenant", "spend {cur}", "money"), ("views", "views", "count"), ("engagements", "engagements", "count"),
    ("cpe_tenant", "CPE {cur}", "money"), ("cpm_tenant", "CPM {cur}", "money"), ("tail_share", "tail", "rate"),
]

POST_CSV_COLUMNS: list[Column] = [
    ("campaign_id", "campaign", "text"), ("post_id", "post", "text"), ("platform", "platform", "text"),
    ("content_form", "form", "text"), ("published_at", "published", "text"), ("currency", "currency", "text"),
    ("spend", "spend", "money"), ("cpe", "CPE", "money"), ("cpm", "CPM", "money"),
    ("tenant_currency", "tenant currency", "text"), ("spend_tenant", "spend (tenant)", "money"),
    ("cpe_tenant", "CPE (tenant)", "money"), ("cpm_tenant", "CPM (tenant)", "money"), ("views", "views", "count"),
    ("engagements", "engagements", "count"), ("tail_share", "tail", "rate"),
]


@creators.command()
@click.argument("creator_id")
@format_option
@tenant_option
def show(creator_id: str, fmt: str, tenant: str | None) -> None:
    """One creator's scorecard and posts across campaigns.

    The scorecard is in the tenant's reporting currency. Each post gives its
    spend, CPE and CPM in its campaign's reporting currency (currency) and in
    the tenant's (spend_tenant, cpe_tenant, cpm_tenant: the figures the
    scorecard's medians take); the table shows the tenant's. csv: the posts,
    one row each. A post whose likes are hidden has no CPE and is not in
    the median CPE (likes_hidden_posts counts them).
    """
    with reading() as (_, reader):
        t = q.tenant_of(reader, tenant, "creator", creator_id)
        card = reader.query("SELECT * FROM v_creator_scorecard WHERE tenant = {t:String} AND creator_id = {c:String}",
                            {"t": t, "c": creator_id}).named()
        if not card:
            raise click.ClickException(f"creator {creator_id!r} has no posts for tenant {t}")
        posts = reader.query(POST_SQL, {"t": t, "c": creator_id}).named()
    c = card[0]
    if fmt == "json":
        click.echo(to_json({"scorecard": c, "posts": posts}), nl=False)
        return
    if fmt == "csv":
        click.echo(to_csv(POST_CSV_COLUMNS, posts), nl=False)
        return
    cur = c["currency"]
    lines = [
        f"{c['name'] or creator_id} ({creator_id}) — tier {c['tier'] or 'n/a'}, tags: {', '.join(c['tags']) or '—'}",
        f"  campaigns {c['campaigns']}, posts {c['posts']}, spend {render_value(c['spend'], 'money')} {cur}",
        f"  save rate {render_value(c['save_rate'], 'rate')}, search rate {render_value(c['search_rate'], 'rate')}, "
        f"intent rate {render_value(c['intent_rate'], 'rate')}, tail {render_value(c['tail_share'], 'rate')}, "
        f"incremental engagements per {cur} of heating {render_value(c['heating_response'], 'ratio')}",
    ]
    for platform in sorted(c["median_cpe"]):
        lines.append(f"  {platform}: median CPE {render_value(c['median_cpe'][platform], 'money')} {cur}, "
                     f"median CPM {render_value(c['median_cpm'].get(platform), 'money')} {cur}")
    click.echo("\n".join(lines))
    click.echo(render(POST_COLUMNS, posts, cur=cur), nl=False)
    hidden = likes_hidden_note(c.get("likes_hidden_posts"))
    if hidden:  # the medians leave those posts out as every CPE does
        click.echo(hidden)


@creators.command()
@click.argument("creator_id")
@click.option("--add", "added", multiple=True, help="Tag to add (repeatable), e.g. vertical:beauty.")
@click.option("--remove", "removed", multiple=True, help="Tag to remove (repeatable).")
@click.option("--note", default=None, help="Replace the creator's notes (compliance notes, contacts…).")
@tenant_option
def tag(creator_id: str, added: tuple[str, ...], removed: tuple[str, ...], note: str | None,
        tenant: str | None) -> None:  # fmt: skip
    """Add or remove a creator's tags, or replace its notes.

    Writes a new version of the creator's registry row. Tags and notes stay
    through later registry imports: a file's tags for the creator are added to
    them.

    \b
    Example:
      tracker creators tag dy-creator-8812 --add tone:warm --add audience:gen-z --remove tone:edgy
    """
    if not added and not removed and note is None:
        raise click.UsageError("nothing to change: give --add, --remove or --note")
    added, removed = tuple(x.strip() for x in added), tuple(x.strip() for x in removed)
    if "" in added + removed:
        raise click.UsageError("a tag cannot be empty: give --add TAG, e.g. --add tone:warm")
    with reading() as (_, reader):
        t = q.resolve_tenant(reader, tenant, "posts")
        rows = reader.query("SELECT * FROM creators FINAL WHERE tenant = {t:String} AND creator_id = {c:String}",
                            {"t": t, "c": creator_id}).named()
        if not rows:
            known = reader.query("SELECT count() FROM posts FINAL WHERE tenant = {t:String} AND creator_id = {c:String}",
                                 {"t": t, "c": creator_id}).scalar()
            if not known:
                raise click.ClickException(f"unknown creator {creator_id!r} for tenant {t}")
    row = rows[0] if rows else {"tenant": t, "creator_id": creator_id, "name": "", "tier": "", "followers": None,
                                "tags": [], "notes": "", "version": 0}
    tags = [x for x in row["tags"] if x not in removed]
    tags += [x for x in added if x not in tags]
    row = {**row, "tags": tags, "notes": row["notes"] if note is None else note,
           "version": max(int(row["version"]) + 1, time.time_ns() // 1_000_000)}
    with friendly_errors(), open_writer(Settings()) as writer:
        if writer.insert_json("creators", [row]) < 1:
            raise InvalidInput("the store did not take the row")
    click.echo(f"{creator_id}: tags {', '.join(tags) or '—'}")
