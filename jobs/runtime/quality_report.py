"""The check's HTML report: one self-contained file (inline CSS and SVG, no script, no network)
that shows each rule's outcome, its metric's history with the accepted band, and masked samples
of failing rows."""
from __future__ import annotations

import html
import math
from typing import Any, Dict, List, Optional, Sequence

STATUS_COLOURS = {"passed": "#2e7d32", "failed": "#c62828", "error": "#6a1b9a", "no_data": "#757575",
                  "no_history": "#757575"}
SERIES_COLOUR, BAND_COLOUR, LIMIT_COLOUR = "#1f77b4", "#cfe3f5", "#ef6c00"
WIDTH, HEIGHT, PAD = 420, 130, 30

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#212121;background:#fafafa}
h1{font-size:22px;margin:0 0 4px} h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd}
.badge{display:inline-block;padding:2px 8px;border-radius:10px;color:#fff;font-size:12px;font-weight:600}
table{border-collapse:collapse;margin:8px 0;font-size:13px;background:#fff}
td,th{border:1px solid #e0e0e0;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f5f5f5} .num{text-align:right;font-variant-numeric:tabular-nums}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{background:#fff;border:1px solid #e0e0e0;border-radius:6px;padding:10px;width:440px}
.card h3{font-size:14px;margin:0 0 4px} .msg{font-size:12px;color:#424242;margin:4px 0}
.samples{overflow-x:auto;max-width:100%} .samples td{max-width:220px;overflow:hidden;text-overflow:ellipsis;
white-space:nowrap;font-family:ui-monospace,monospace;font-size:11px}
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _figure(value: Optional[float]) -> str:
    if value is None:
        return "n/a"
    if float(value).is_integer() and abs(value) >= 1:
        return f"{int(value):,}"
    return f"{value:.4g}"


def _badge(status: str) -> str:
    return f'<span class="badge" style="background:{STATUS_COLOURS.get(status, "#757575")}">{_e(status)}</span>'


def history_plot(points: Sequence[Sequence[Any]], failing: bool) -> str:
    """An SVG line plot of ``[[date, value, [low, high] or None], ...]``: the accepted band
    shaded (a varying band as a polygon, an open side as a limit line), today's point last."""
    values = [p[1] for p in points if p[1] is not None]
    if not values:
        return '<p class="msg">no figure to plot</p>'
    bounds = [b for p in points if p[2] for b in p[2] if b is not None and math.isfinite(b)]
    low, high = min(values + bounds), max(values + bounds)
    if high == low:
        low, high = low - 1, high + 1
    span = high - low
    low, high = low - 0.08 * span, high + 0.08 * span
    n = len(points)

    def x(i: int) -> float:
        return PAD + (WIDTH - 2 * PAD) * (i / (n - 1) if n > 1 else 0.5)

    def y(v: float) -> float:
        return HEIGHT - PAD + (PAD * 2 - HEIGHT) * (v - low) / (high - low)

    parts = [f'<svg class="plot" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
             f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img">',
             f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#fff"/>']
    banded = [(i, p[2]) for i, p in enumerate(points) if p[2] and None not in p[2]]
    if banded:
        if len(banded) == 1:
            i, (lo, hi) = banded[0]
            banded = [(i - 0.4 if n > 1 else 0, (lo, hi)), (i + 0.4 if n > 1 else 1, (lo, hi))]
        upper = " ".join(f"{x(i):.1f},{y(b[1]):.1f}" for i, b in banded)
        lower = " ".join(f"{x(i):.1f},{y(b[0]):.1f}" for i, b in reversed(banded))
        parts.append(f'<polygon class="band" points="{upper} {lower}" fill="{BAND_COLOUR}"/>')
    else:
        for limit in {b for p in points if p[2] for b in p[2] if b is not None}:
            parts.append(f'<line class="limit" x1="{PAD}" x2="{WIDTH - PAD}" y1="{y(limit):.1f}" y2="{y(limit):.1f}" '
                         f'stroke="{LIMIT_COLOUR}" stroke-width="2" stroke-dasharray="6 3"/>')
    drawn = [(i, p[1]) for i, p in enumerate(points) if p[1] is not None]
    if len(drawn) > 1:
        line = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in drawn)
        parts.append(f'<polyline class="series" points="{line}" fill="none" stroke="{SERIES_COLOUR}" '
                     f'stroke-width="2.5"/>')
    for i, v in drawn:
        last = i == n - 1
        colour = (STATUS_COLOURS["failed"] if failing else STATUS_COLOURS["passed"]) if last else SERIES_COLOUR
        parts.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="{5 if last else 3}" fill="{colour}"/>')
    axis = HEIGHT - PAD
    parts.append(f'<line x1="{PAD}" x2="{WIDTH - PAD}" y1="{axis + 6}" y2="{axis + 6}" stroke="#9e9e9e"/>')
    parts.append(f'<text x="{PAD}" y="{HEIGHT - 6}" font-size="10" fill="#616161">{_e(points[0][0])}</text>')
    parts.append(f'<text x="{WIDTH - PAD}" y="{HEIGHT - 6}" font-size="10" fill="#616161" '
                 f'text-anchor="end">{_e(points[-1][0])}</text>')
    parts.append(f'<text x="4" y="12" font-size="10" fill="#616161">{_e(_figure(high))}</text>')
    parts.append(f'<text x="4" y="{axis}" font-size="10" fill="#616161">{_e(_figure(low))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _samples(rows: List[Dict[str, Any]]) -> str:
    if not rows:
        return ""
    columns = list(rows[0])
    head = "".join(f"<th>{_e(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f'<td title="{_e(r.get(c))}">{_e(r.get(c))}</td>' for c in columns) + "</tr>"
                   for r in rows)
    return (f'<div class="samples"><p class="msg">{len(rows)} failing rows (identifiers masked)</p>'
            f"<table><tr>{head}</tr>{body}</table></div>")


def render_html(document: Dict[str, Any]) -> str:
    """The report of one check run (the job's JSON result) as a standalone HTML page."""
    status = document["status"]
    out = ["<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">",
           f"<title>Data quality {_e(document['run_date'])}: {_e(status)}</title><style>{_CSS}</style></head><body>",
           f"<h1>Data quality, {_e(document['run_date'])} {_badge(status)}</h1>",
           f"<p class=\"msg\">run {_e(document['run_id'])}: {len(document['critical_failures'])} critical failure(s), "
           f"{len(document['warnings'])} warning(s)</p>"]
    for failure in document["critical_failures"]:
        out.append(f'<p class="msg" style="color:{STATUS_COLOURS["failed"]}">critical: {_e(failure)}</p>')
    for name, dataset in document["datasets"].items():
        out.append(f"<h2 id=\"{_e(name)}\">{_e(name)} <small>{_e(dataset['source'])}, "
                   f"{_e(_figure(dataset['rows']))} rows</small></h2>")
        out.append("<table><tr><th>rule</th><th>type</th><th>severity</th><th>status</th><th>observed</th>"
                   "<th>expected</th><th>detail</th></tr>")
        for rule in dataset["rules"]:
            out.append(f"<tr><td><a href=\"#{_e(name)}-{_e(rule['name'])}\">{_e(rule['name'])}</a></td>"
                       f"<td>{_e(rule['type'])}</td><td>{_e(rule['severity'])}</td><td>{_badge(rule['status'])}</td>"
                       f"<td class=\"num\">{_e(_figure(rule['observed']))}</td><td>{_e(rule['expected'])}</td>"
                       f"<td>{_e(rule['message'])}</td></tr>")
        out.append("</table><div class=\"cards\">")
        # The plots of the failures first, where a person looks; then the others in conf order.
        for rule in sorted(dataset["rules"], key=lambda r: r["status"] not in ("failed", "error")):
            failing = rule["status"] in ("failed", "error")
            out.append(f"<div class=\"card\" id=\"{_e(name)}-{_e(rule['name'])}\"><h3>{_e(rule['name'])} "
                       f"{_badge(rule['status'])}</h3><p class=\"msg\">{_e(rule['message'])}</p>"
                       f"{history_plot(rule['history'], failing)}{_samples(rule['samples'])}</div>")
        out.append("</div>")
    out.append("</body></html>")
    return "\n".join(out)
