"""``tracker notify``: deliver post alerts to Alertmanager and chat webhooks."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import click

from tracker.cli.runtime import LOGLEVEL, check_ports
from tracker.settings import Settings

EPILOG = """\b
Configure at least one destination (environment or .env):
  TRACKER_ALERTMANAGER_URL=http://127.0.0.1:9093
  TRACKER_SLACK_WEBHOOK_URL=https://hooks.slack.com/services/T/B/X
  TRACKER_FEISHU_WEBHOOK_URL=https://open.feishu.cn/open-apis/bot/v2/hook/<uuid>  TRACKER_FEISHU_SECRET=…
  TRACKER_DINGTALK_WEBHOOK_URL=https://oapi.dingtalk.com/robot/send?access_token=…  TRACKER_DINGTALK_SECRET=SEC…
  TRACKER_WECOM_WEBHOOK_URL=https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…
Timing: TRACKER_NOTIFY_DIGEST_SECONDS (one message per campaign per interval, default 300),
TRACKER_NOTIFY_RESEND_SECONDS (Alertmanager re-send, default 60).
Links: each alert's runbook_url points to its section of the runbook this process serves at
http://TRACKER_WEB_HOST:TRACKER_WEB_PORT/runbook (TRACKER_RUNBOOK_URL: where people reach it,
behind a proxy or a container's published port); TRACKER_GRAFANA_URL adds a link to the
post's pulse curves.

\b
Examples:
  tracker notify            # run until Ctrl-C; /metrics and /runbook on TRACKER_WEB_PORT
  tracker notify --test     # send one sample digest to every destination and exit
`tracker run` starts the same notifier when a destination is configured."""


@click.command(epilog=EPILOG)
@click.option("--test", "send_test", is_flag=True,
              help="Send a sample digest to each chat channel and a test alert to Alertmanager, then exit.")
@click.option("--loglevel", type=LOGLEVEL, default="info", show_default=True, help="Log level.")
def notify(send_test: bool, loglevel: str) -> None:
    """Read alert state changes from tracker.alerts.v1 and deliver them: to
    Alertmanager (API v2; active alerts re-sent, resolved ones ended by endsAt)
    and, as one digest per campaign per interval, to Slack, Feishu/Lark,
    DingTalk and WeCom (signed, rate-limited, retried, deduplicated)."""
    from tracker.alerting.chat import channels

    settings = Settings()
    if not settings.alertmanager_url and not channels(settings):
        raise click.ClickException(
            "no destination configured: set TRACKER_ALERTMANAGER_URL or a chat webhook URL (see --help)")
    if send_test:
        failures = asyncio.run(_send_test(settings))
        if failures:
            raise click.ClickException(f"test delivery failed for: {', '.join(failures)}")
        click.echo("test notifications delivered")
        return
    _run(settings, loglevel)


def _run(settings: Settings, loglevel: str) -> None:
    import mode

    from tracker.alerting import NotifierService
    from tracker.broker.reach import require_broker
    from tracker.ops.web import WebService, metrics_app, runbook_link

    check_ports([(settings.web_host, settings.web_port, "TRACKER_WEB_PORT")])
    require_broker(settings.kafka_bootstrap)
    web = WebService([(metrics_app(), settings.web_host, settings.web_port)])
    click.echo(f"tracker notify: metrics on http://{settings.web_host}:{settings.web_port}/metrics, "
               f"alerts link the runbook at {runbook_link(settings)}", err=True)
    mode.Worker(web, NotifierService(settings), loglevel=loglevel, quiet=True).execute_from_commandline()


async def _send_test(settings: Settings) -> list[str]:
    import httpx

    from tracker.alerting.alertmanager import AlertmanagerClient
    from tracker.alerting.change import AlertChange
    from tracker.alerting.chat import channels
    from tracker.alerting.delivery import Courier
    from tracker.alerting.digest import Digests
    from tracker.contracts.timestamps import format_ts
    from tracker.errors import TrackerError

    now = datetime.now(UTC)
    sample = AlertChange(
        tenant="tracker-test", campaign="notify-test", post_id="douyin:0000000000", alert="PostDecaying",
        state="firing", alert_id="notify-test", severity="info", starts_at=now, ends_at=None,
        summary="test message from `tracker notify --test`: nothing to do", emitted_at=now)
    digests = Digests()
    digests.add(sample)
    (digest,) = digests.drain()
    failures = []
    async with httpx.AsyncClient() as http:
        for channel in channels(settings):
            if not await Courier(channel, http, attempts=settings.notify_retries).send(digest):
                failures.append(channel.name)
        if settings.alertmanager_url:
            alert = {"labels": {"alertname": "TrackerNotifyTest", "severity": "info", "tenant": "tracker-test"},
                     "annotations": {"summary": "test alert from `tracker notify --test`"},
                     "startsAt": format_ts(now), "endsAt": format_ts(now + timedelta(minutes=5))}
            try:
                await AlertmanagerClient(settings.alertmanager_url, http).post([alert])
            except TrackerError as exc:
                click.echo(f"alertmanager: {exc}", err=True)
                failures.append("alertmanager")
    return failures
