"""The HTML evaluation report, from real scoring of known predictions: every figure it must
show, the confusion matrix counted right, message text escaped, the comparison with the live model."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict

from bot.evaluation import nlu, risk
from bot.training import figures as figures_module
from bot.training.report import Subject, confusion_svg, page
from tests.unit.training.helpers import figures

EXAMPLES = [nlu.Example("hi", "greet"), nlu.Example("hello there", "greet"),
            nlu.Example("bye", "goodbye"), nlu.Example("<b>see ya</b>", "goodbye")]
PREDICTED = ["greet", "greet", "goodbye", "nlu_fallback"]
RISK_PAIRS = [("baby not breathing", "emergency"), ("baby in bed after drinking", "unsafe_sleep"),
              ("wine with dinner", "none"), ("nice weather", "none")]
RISK_PREDICTED = ["emergency", "none", "unsafe_sleep", "none"]


def write_reports(reports_dir) -> None:
    reports_dir.mkdir(parents=True, exist_ok=True)
    (reports_dir / "nlu_evaluation.json").write_text(json.dumps(asdict(nlu.score(EXAMPLES, PREDICTED))))
    (reports_dir / "risk_evaluation.json").write_text(
        json.dumps(asdict(risk.score(RISK_PAIRS, RISK_PREDICTED))))


def test_figures_read_back_from_make_evaluate_reports_count_the_confusion_matrix(tmp_path):
    write_reports(tmp_path)
    measured = figures_module.last_evaluation(tmp_path).figures
    rows, columns, counts = measured.confusion()
    assert rows == ["goodbye", "greet"] and columns == ["goodbye", "greet", "nlu_fallback"]
    assert counts == {("greet", "greet"): 2, ("goodbye", "goodbye"): 1, ("goodbye", "nlu_fallback"): 1}
    assert measured.recall("unsafe_sleep") == 0.0 and measured.recall("emergency") == 1.0
    assert measured.false_alarm_rate == 0.5


def test_the_report_shows_every_figure_escapes_messages_and_flags_a_worse_category(tmp_path):
    write_reports(tmp_path)
    measured = figures_module.last_evaluation(tmp_path).figures
    html = page(Subject("candidate", measured, "model live-1 (in service)", figures()))
    for needed in ("Would be refused", "unsafe_sleep recall 0.000 is below the live model&#39;s 1.000",
                   "<th scope=\"row\">greet</th><td>1.00</td><td>1.00</td><td>1.00</td><td>2</td>",
                   "False alarms: 0.500 of 2 benign messages (live 0.040)",
                   "&lt;b&gt;see ya&lt;/b&gt;", "Misclassified messages (1)", "<svg", 'class="worse"'):
        assert needed in html, needed
    assert "<b>see ya" not in html


def test_a_report_without_a_live_model_applies_only_the_emergency_rule():
    html = page(Subject("first model", figures(emergency=0.9)))
    assert "No model in service is known" in html and "emergency recall 0.900 is below 1.00" in html
    assert "Passes the gate" in page(Subject("first model", figures(unsafe_sleep=0.5)))


def test_the_confusion_plot_uses_no_inline_styles_so_the_dashboard_policy_allows_it(tmp_path):
    write_reports(tmp_path)
    svg = str(confusion_svg(figures_module.last_evaluation(tmp_path).figures))
    assert "style" not in svg and "<script" not in svg
    assert svg.count("<rect") == 2 * 3


def test_model_report_writes_the_last_evaluation_as_html(tmp_path):
    write_reports(tmp_path / "var" / "reports")
    env = {**os.environ, "BOT_VAR_DIR": str(tmp_path / "var"), "MODEL_REGISTRY_DIR": str(tmp_path / "registry"),
           "BOT_MODEL": str(tmp_path / "none.tar.gz")}
    done = subprocess.run([sys.executable, "-m", "bot", "model", "report"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    html = (tmp_path / "var" / "reports" / "evaluation.html").read_text()
    assert "Evaluation: none.tar.gz as of the last make evaluate" in html and "Misclassified messages (1)" in html


def test_the_last_evaluation_is_labelled_with_the_model_file_it_measured_not_the_live_one(tmp_path):
    """`make test` evaluates models/candidate.tar.gz, which need not be the model in service."""
    from bot.config import load_settings
    from bot.training import services

    candidate, live = tmp_path / "candidate.tar.gz", tmp_path / "current.tar.gz"
    candidate.write_bytes(b"the model trained from the working tree")
    live.write_bytes(b"the model in service")
    measuring = load_settings({"BOT_VAR_DIR": str(tmp_path / "var"), "BOT_MODEL": str(candidate),
                               "MODEL_REGISTRY_DIR": str(tmp_path / "registry")})
    nlu.write_report(measuring, "nlu_evaluation.json", asdict(nlu.score(EXAMPLES, PREDICTED)))
    nlu.write_report(measuring, "risk_evaluation.json", asdict(risk.score(RISK_PAIRS, RISK_PREDICTED)))
    serving = load_settings({"BOT_VAR_DIR": str(tmp_path / "var"), "BOT_MODEL": str(live),
                             "MODEL_REGISTRY_DIR": str(tmp_path / "registry")})
    subject = services.evaluation_subject(serving)
    assert subject.title == "candidate.tar.gz as of the last make evaluate"
