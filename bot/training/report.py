"""The evaluation report as HTML: one page a trainer reads before promoting a model.

The body (tables, the confusion-matrix plot as inline SVG, the comparison with the model in
service and the gate's verdict) is rendered once and used twice: wrapped in a standalone page
(`make evaluate` writes var/reports/evaluation.html) and inside the dashboard. The SVG uses
presentation attributes only, so the dashboard's strict Content-Security-Policy allows it.
The blind risk set's errors are never shown (bot/evaluation/risk.py explains why).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from bot.training import promotion_gate
from bot.training.figures import Figures

CELL = 14
LABEL_SPACE = 230
_templates = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                         autoescape=select_autoescape(["html"]))


@dataclass(frozen=True)
class Subject:
    """What the report is about: a title line, the figures, and the model in service if known."""
    title: str
    figures: Figures
    live_title: Optional[str] = None
    live: Optional[Figures] = None


def confusion_svg(figures: Figures) -> Markup:
    """Expected intent per row, predicted per column; shade is the share of the row's messages."""
    rows, columns, counts = figures.confusion()
    width, height = LABEL_SPACE + CELL * len(columns), LABEL_SPACE + CELL * len(rows)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="confusion-title">'
             '<title id="confusion-title">Confusion matrix: expected intent (rows) against '
             'predicted intent (columns)</title>']
    for i, expected in enumerate(rows):
        y = LABEL_SPACE + i * CELL
        parts.append(f'<text x="{LABEL_SPACE - 4}" y="{y + CELL - 3}" font-size="10" '
                     f'text-anchor="end">{escape(expected)}</text>')
        total = sum(counts.get((expected, c), 0) for c in columns) or 1
        for j, predicted in enumerate(columns):
            count = counts.get((expected, predicted), 0)
            shade = int(255 - 200 * count / total)
            colour = f"rgb({shade},{shade},255)" if expected == predicted else f"rgb(255,{shade},{shade})"
            x = LABEL_SPACE + j * CELL
            parts.append(f'<rect x="{x}" y="{y}" width="{CELL}" height="{CELL}" '
                         f'fill="{colour if count else "#fff"}" stroke="#ddd"/>')
            if count:
                parts.append(f'<text x="{x + CELL / 2}" y="{y + CELL - 3}" font-size="8" '
                             f'text-anchor="middle">{count}</text>')
    for j, predicted in enumerate(columns):
        x = LABEL_SPACE + j * CELL + CELL - 4
        parts.append(f'<text x="{x}" y="{LABEL_SPACE - 4}" font-size="10" '
                     f'transform="rotate(-60 {x} {LABEL_SPACE - 4})">{escape(predicted)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def gate_verdict(subject: Subject) -> List[str]:
    return promotion_gate.failures(subject.figures, subject.live)


def body(subject: Subject) -> Markup:
    return Markup(_templates.get_template("report_body.html").render(
        subject=subject, f=subject.figures, live=subject.live, failures=gate_verdict(subject),
        confusion=confusion_svg(subject.figures)))


def page(subject: Subject, now: Optional[dt.datetime] = None) -> str:
    now = now or dt.datetime.now(dt.timezone.utc)
    return _templates.get_template("report_page.html").render(
        subject=subject, body=body(subject), written=now.strftime("%Y-%m-%d %H:%M UTC"))


def write(subject: Subject, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page(subject), encoding="utf-8")
    return out
