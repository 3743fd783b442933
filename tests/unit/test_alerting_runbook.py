"""The runbook link of post alerts: absolute, served by the process's web endpoint, its
anchors those the alerts use (``#postdecaying``)."""

from __future__ import annotations

import re
import socket

from aiohttp.test_utils import TestClient, TestServer

from tracker.alerting.notifier import NotifierService
from tracker.contracts.vocab import ALERT_TYPES
from tracker.ops.web import RUNBOOK, metrics_app, runbook_html, runbook_link
from tracker.settings import Settings


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_the_link_is_the_processs_own_web_endpoint() -> None:
    """It was the relative path docs/runbook.md#postdecaying, no link in Alertmanager."""
    assert runbook_link(settings()) == "http://127.0.0.1:8080/runbook"
    assert runbook_link(settings(web_host="10.0.3.7", web_port=9100)) == "http://10.0.3.7:9100/runbook"
    assert runbook_link(settings(web_host="0.0.0.0")) == f"http://{socket.getfqdn()}:8080/runbook"
    assert runbook_link(settings(web_host="::1")) == "http://[::1]:8080/runbook"


def test_the_notifier_links_each_alert_to_its_section() -> None:
    service = NotifierService(settings(web_host="10.0.3.7", web_port=9100,
                                       alertmanager_url="http://127.0.0.1:9093"), chat=[])
    assert service.core.runbook_url == "http://10.0.3.7:9100/runbook"


def test_every_post_alert_has_a_section_whose_anchor_the_page_carries() -> None:
    page = runbook_html(RUNBOOK.read_text(encoding="utf-8"))
    anchors = set(re.findall(r'<h\d id="([^"]+)"', page))
    assert {name.lower() for name in ALERT_TYPES} <= anchors
    assert "trackersinkstalled" in anchors  # the Prometheus rules' sections too


def test_markdown_becomes_escaped_html() -> None:
    page = runbook_html("## Post alerts (tracker notify → Alertmanager)\n\n**Means:** a <b> `x < y`\n"
                        "more text\n\n```sh\ncurl -s localhost:8080/metrics | grep ^tracker_\n```\n")
    assert '<h2 id="post-alerts-tracker-notify--alertmanager">' in page
    assert "<p><strong>Means:</strong> a &lt;b&gt; <code>x &lt; y</code> more text</p>" in page
    assert "<pre><code>curl -s localhost:8080/metrics | grep ^tracker_</code></pre>" in page


async def test_the_web_endpoint_serves_the_runbook() -> None:
    async with TestClient(TestServer(metrics_app())) as client:
        resp = await client.get("/runbook")
        assert resp.status == 200 and resp.content_type == "text/html"
        assert '<h3 id="postdecaying">PostDecaying</h3>' in await resp.text()
        assert (await client.get("/healthz")).status == 200


def test_the_runbook_numbers_pulses_as_the_alerts_do() -> None:
    """Alerts count pulses from 0, as the pulses table and the curve do; the runbook they link
    said "pulses are counted from 1 there (pulse 1 is the publish burst …)"."""
    from tracker.stream.insights import pulse_name

    text = " ".join(RUNBOOK.read_text(encoding="utf-8").split())
    assert f'"{pulse_name({"pulse": 0, "pulse_trigger": "publish"})}" is the publish burst' in text
    assert "counted from 1 there" not in text
