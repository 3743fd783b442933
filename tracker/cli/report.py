"""``tracker report``: the post-campaign report (结案报告) as XLSX and/or HTML."""

from __future__ import annotations

from pathlib import Path

import click

from tracker.cli.paths import OutputFile
from tracker.cli.roi import echo_rate_commands
from tracker.report import queries as q
from tracker.report.content import build
from tracker.report.options import campaign_option, reading, tenant_option


@click.command()
@campaign_option
@click.option("--xlsx", "xlsx_path", type=OutputFile("an XLSX workbook", ".xlsx"), default=None,
              help="Write the workbook here (sheets: Summary, By platform, By tier, Posts, Heating, …).")
@click.option("--html", "html_path", type=OutputFile("an HTML page", ".html", ".htm"), default=None,
              help="Write one self-contained HTML page here (charts embedded).")
@tenant_option
def report(campaign_id: str, xlsx_path: Path | None, html_path: Path | None, tenant: str | None) -> None:
    """Write the post-campaign report a client reads: summary, spend and
    outcomes by platform and tier, top and bottom posts, heating efficiency,
    long tail, comment keywords and charts — in the campaign's time zone and
    reporting currency.

    \b
    Example:
      tracker report --campaign 2024-double11 --xlsx double11.xlsx --html double11.html
    """
    if xlsx_path is None and html_path is None:
        raise click.UsageError("give --xlsx FILE and/or --html FILE")
    with reading() as (settings, reader):
        camp = q.campaign(reader, campaign_id, tenant)
        content = build(reader, camp, settings.report_top_posts)
    if xlsx_path is not None:
        from tracker.report.workbook import write_xlsx

        write_xlsx(content, xlsx_path)
        click.echo(f"{xlsx_path}: workbook of {camp.name} ({len(content.posts)} posts)")
    if html_path is not None:
        from tracker.report.page import write_html

        write_html(content, html_path)
        click.echo(f"{html_path}: page of {camp.name} ({len(content.charts)} charts)")
    if content.fx_line():  # the client would read n/a: say which rates would fill them in
        click.echo(f"warning: {content.fx_line()}", err=True)
        echo_rate_commands(content.missing_rates)
