"""`tracker simulate` writes the same population and truth the server serves for a seed."""

from __future__ import annotations

from pathlib import Path

import yaml
from click.testing import CliRunner

from tracker.cli.main import main
from tracker.simulate import Simulation, load_truth
from tracker.simulate.registry import campaign_document


def test_write_campaign_and_truth_match_the_served_population(tmp_path: Path) -> None:
    campaign, truth = tmp_path / "campaign.yaml", tmp_path / "truth.json"
    result = CliRunner().invoke(main, ["simulate", "--posts", "40", "--seed", "3", "--speed", "0", "--write-campaign",
                                       str(campaign), "--export-truth", str(truth)])
    assert result.exit_code == 0, result.output
    sim = Simulation.build(seed=3, posts=40)
    assert yaml.safe_load(campaign.read_text(encoding="utf-8")) == campaign_document(sim.population)
    assert load_truth(truth.read_bytes()) == load_truth(sim.truth_json())
    assert campaign.read_text(encoding="utf-8").startswith("# tracker campaign file")


def test_bad_fault_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["simulate", "--posts", "5", "--fault", "youtube:risk_control:count=1",
                                       "--write-campaign", str(tmp_path / "c.yaml")])
    assert result.exit_code == 2 and "cannot express" in result.output


def test_demo_campaign_file_is_the_default_population() -> None:
    demo = Path(__file__).resolve().parents[2] / "deploy" / "demo" / "campaign.yaml"
    doc = yaml.safe_load(demo.read_text(encoding="utf-8"))
    assert doc["source"] == {"tool": "tracker simulate", "seed": 7, "posts": 200,
                             "campaign_start": "2025-09-01T00:00:00Z"}
    assert doc == campaign_document(Simulation.build(seed=7, posts=200).population)
