"""``tracker analyze --heating``: a pulse's spend is in the currency of its heating nodes. Nodes
paid in several currencies add up to no amount: spend and cost per incremental read n/a, with
the amounts named, in the table and in JSON (the analytics' own pulse spend is their plain sum:
500 CNY and 100 USD printed 600 and a cost per incremental computed from it)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from tracker.cli.analyze import analyze

START = datetime(2024, 6, 1, tzinfo=UTC)
BOOST = "2024-06-02T16:00:00Z"  # 40 h after publish: a second pulse answers it


def snapshots(tmp_path: Path) -> str:
    """Hourly snapshots of one post: a publish burst, then a heated one from hour 40."""
    lines, total = ["post_id,observed_at,published_at,views,likes"], 0
    for h in range(1, 80):
        total += int(3000 * (h + 2) ** -1.2) + 5 + (int(2000 * (h - 38) ** -1.1) if h > 40 else 0)
        at = (START + timedelta(hours=h, minutes=30)).isoformat().replace("+00:00", "Z")
        lines.append(f"p1,{at},2024-06-01T00:00:00Z,{total * 10},{total}")
    path = tmp_path / "snaps.csv"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return str(path)


def heating(tmp_path: Path, text: str) -> str:
    path = tmp_path / "heat.csv"
    path.write_text(text, "utf-8")
    return str(path)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(analyze, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.stdout, result.stderr


def heated(out: str) -> dict:
    (pulse,) = [p for p in json.loads(out)[0]["pulses"] if p["trigger"] == "heating"]
    return pulse


def test_nodes_in_two_currencies_give_no_spend_and_name_the_amounts(tmp_path: Path) -> None:
    snaps = snapshots(tmp_path)
    heat = heating(tmp_path, f"post_id,start,spend,currency,id\np1,{BOOST},500,CNY,a\np1,{BOOST},100,USD,b\n")
    code, out, err = run(snaps, "--heating", heat, "--format", "json")
    assert code == 0, err
    pulse = heated(out)
    assert pulse["heating_ids"] == ["a", "b"]
    assert (pulse["spend"], pulse["currency"], pulse["cost_per_incremental"]) == (None, None, None)
    named = "pulse 1: spend and cost per incremental n/a: its heating nodes were paid in 500 CNY + 100 USD"
    assert any(note.startswith(named) for note in json.loads(out)[0]["notes"]), out
    code, table, err = run(snaps, "--heating", heat)
    assert code == 0, err
    row = next(line for line in table.splitlines() if " heating " in line)
    assert "600" not in row and row.split()[-3:-1] == ["n/a", "n/a"], row  # spend, cost/incr; then status
    assert f"note: {named}" in table


def test_nodes_in_one_currency_keep_their_sum_and_say_its_currency(tmp_path: Path) -> None:
    snaps = snapshots(tmp_path)
    heat = heating(tmp_path, f"post_id,start,spend,currency,id\np1,{BOOST},500,CNY,a\np1,{BOOST},100,cny,b\n")
    code, out, err = run(snaps, "--heating", heat, "--format", "json")
    assert code == 0, err
    pulse = heated(out)
    assert (pulse["spend"], pulse["currency"]) == (600.0, "CNY")
    assert pulse["cost_per_incremental"] == 600.0 / pulse["incremental"]
    assert not any("n/a: its heating nodes" in note for note in json.loads(out)[0]["notes"])
    publish = json.loads(out)[0]["pulses"][0]
    assert (publish["spend"], publish["currency"]) == (0.0, None)  # no node, no currency
    _, table, _ = run(snaps, "--heating", heat)
    assert "600 CNY" in next(line for line in table.splitlines() if " heating " in line), table


def test_a_node_of_no_spend_does_not_mix_currencies(tmp_path: Path) -> None:
    snaps = snapshots(tmp_path)
    heat = heating(tmp_path, f"post_id,start,spend,currency,id\np1,{BOOST},500,CNY,a\np1,{BOOST},0,USD,b\n")
    pulse = heated(run(snaps, "--heating", heat, "--format", "json")[1])
    assert (pulse["spend"], pulse["currency"]) == (500.0, "CNY")


def test_the_store_and_event_names_of_the_currency_are_read(tmp_path: Path) -> None:
    """A heating file with the store's column names (spend_amount, spend_currency, any case) or
    the events' spend {amount, currency}: its currencies were read as none, and the pulse's
    nodes summed across them."""
    snaps = snapshots(tmp_path)
    heat = heating(tmp_path, f"post_id,Start_At,spend_amount,Spend_Currency,heating_id\n"
                             f"p1,{BOOST},500,CNY,a\np1,{BOOST},100,USD,b\n")
    code, out, err = run(snaps, "--heating", heat, "--format", "json")
    assert code == 0, err
    assert heated(out)["spend"] is None and "500 CNY + 100 USD" in " ".join(json.loads(out)[0]["notes"])
    events = tmp_path / "heat.jsonl"
    events.write_text("\n".join(json.dumps({"post_id": "p1", "start": BOOST, "heating_id": i,
                                            "spend": {"amount": a, "currency": c}})
                                for i, a, c in (("a", "500", "CNY"), ("b", "100", "USD"))) + "\n", "utf-8")
    code, out, err = run(snaps, "--heating", str(events), "--format", "json")
    assert code == 0, err
    assert heated(out)["spend"] is None and "500 CNY + 100 USD" in " ".join(json.loads(out)[0]["notes"])
