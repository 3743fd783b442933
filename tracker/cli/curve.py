"""``tracker curve``: one post's multi-node pulse heating curve as a PNG."""

from __future__ import annotations

from pathlib import Path

import click

from tracker.cli.paths import OutputFile
from tracker.report import queries as q
from tracker.report.charts import curve_png
from tracker.report.options import reading, tenant_option

PREFERRED = ("engagements", "views", "likes", "saves", "comments", "shares", "searches")


@click.command()
@click.argument("post_id")
@click.option("--png", "png_path", required=True, type=OutputFile("a PNG image", ".png"),
              help="Where to write the PNG (its folder must exist).")
@click.option("--metric", default=None, help="Counter to draw (default: engagements, else the first the post has).")
@tenant_option
def curve(post_id: str, png_path: Path, metric: str | None, tenant: str | None) -> None:
    """Draw POST_ID's cumulative and hourly velocity curves with its pulses.

    Shaded bands are the pulses' attribution intervals (dashed line = onset,
    label = trigger), orange bars the heating nodes' delivery windows, red
    triangles PostDecaying alerts; times in the campaign's time zone.

    \b
    Example:
      tracker curve douyin:7301234567890 --png curve.png
    """
    with reading() as (_, reader):
        t = q.tenant_of(reader, tenant, "post", post_id)
        ctx = reader.query("SELECT time_zone FROM v_post_context WHERE tenant = {t:String} AND post_id = {p:String}",
                           {"t": t, "p": post_id}).rows
        if not ctx:
            raise click.ClickException(f"post {post_id!r} is not registered for tenant {t}")
        have = [r[0] for r in reader.query("SELECT DISTINCT metric FROM v_curves WHERE tenant = {t:String} "
                                           "AND post_id = {p:String}", {"t": t, "p": post_id}).rows]
        if not have:
            raise click.ClickException(f"post {post_id!r} has no curve yet (the worker writes it from snapshots)")
        chosen = metric or next((m for m in PREFERRED if m in have), sorted(have)[0])
        if chosen not in have:
            raise click.ClickException(f"post {post_id!r} has no {chosen} curve; it has: {', '.join(sorted(have))}")
        args = {"t": t, "p": post_id, "m": chosen}
        points = reader.query("SELECT hour, cumulative, velocity, observed FROM v_curves WHERE tenant = {t:String} "
                              "AND post_id = {p:String} AND metric = {m:String} ORDER BY hour", args).named()
        # a pulse the worker reported and a later reading did not keep stays a row, marked removed (onset 1970)
        pulses = reader.query("SELECT * FROM pulses FINAL WHERE tenant = {t:String} AND post_id = {p:String} "
                              "AND status != 'removed' ORDER BY pulse_index", args).named()
        heating = reader.query("SELECT heating_id, start_at, end_at, status FROM heating_nodes FINAL "
                               "WHERE tenant = {t:String} AND post_id = {p:String} AND status != 'cancelled' "
                               "ORDER BY start_at", args).named()
        alerts = reader.query("SELECT starts_at, state FROM alerts FINAL WHERE tenant = {t:String} "
                              "AND post_id = {p:String} AND alert = 'PostDecaying' ORDER BY starts_at", args).named()
    png_path.write_bytes(curve_png(post_id, chosen, points, pulses, heating, alerts, ctx[0][0]))
    click.echo(f"{png_path}: {chosen} of {post_id}, {len(pulses)} pulses, {len(heating)} heating nodes, "
               f"{len(alerts)} decay alerts")
