"""SVG charts drawn on the server: no JavaScript, no inline styles (the CSP allows neither). Colours come from
classes in queues/static/queues/portal.css (.chart, .chart-s0 …), which follow Bootstrap's light and dark modes.
The numbers drawn are the table's beside the chart; the SVG's description says so."""

import math

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from queues.reports.queries import Chart

WIDTH = 720
SERIES_CLASSES = 6  # .chart-s0 … .chart-s5 in portal.css
CHAR = 6.6  # the width of one character of the labels, near enough for laying them out
DURATION_STEPS = [60, 300, 600, 1800, 3600, 2 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 7 * 86400, 14 * 86400]


def duration_text(seconds: int | None) -> str:
    """h:mm:ss, hours counting past 24: exact to the second, and what a spreadsheet reads as a duration."""
    if seconds is None:
        return "—"
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


def _axis_text(value: float, duration: bool) -> str:
    if not duration:
        return f"{value:g}"
    for unit, suffix in ((86400, _("d")), (3600, _("h")), (60, _("min"))):
        if value >= unit:
            return f"{value / unit:g} {suffix}"
    return "0"


def _ticks(top: float, duration: bool) -> list[float]:
    """0 up to a round value at or above top, four or five steps."""
    if top <= 0:
        return [0, 1] if not duration else [0, 60]
    if duration:
        step = next((s for s in DURATION_STEPS if top / s <= 5), math.ceil(top / 5 / 86400) * 86400)
    else:
        magnitude = 10 ** math.floor(math.log10(top / 5)) if top >= 5 else 1
        step = next(m * magnitude for m in (1, 2, 5, 10) if top / (m * magnitude) <= 5)
    return [step * n for n in range(math.ceil(top / step) + 1)]


def _short(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: chars - 1] + "…"


def _legend(series, y: float) -> tuple[list[str], float]:
    parts, x = [], 0.0
    for n, (name, _values) in enumerate(series):
        width = 18 + len(name) * CHAR + 16
        if x and x + width > WIDTH:
            x, y = 0.0, y + 20
        parts.append(
            f'<rect class="chart-s{n % SERIES_CLASSES}" x="{x:.1f}" y="{y - 10:.1f}" width="12" height="12" rx="2"/>'
            f'<text class="chart-label" x="{x + 18:.1f}" y="{y:.1f}">{escape(name)}</text>'
        )
        x += width
    return parts, y + 24


def _svg(chart: Chart, height: float, parts: list[str], ident: str) -> SafeString:
    title = escape(chart.title)
    desc = escape(_("The same numbers are in the table below."))
    return mark_safe(  # noqa: S308 every text in parts went through escape()
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height:.0f}" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{ident}-title">{title}</title><desc id="{ident}-desc">{desc}</desc>{"".join(parts)}</svg>'
    )


def draw(chart: Chart, ident: str) -> SafeString:
    return {"columns": _columns, "bars": _bars, "lines": _lines}[chart.kind](chart, ident)


def _value_axis(top: float, duration: bool, *, x0, x1, y0, y1, vertical: bool) -> tuple[list[str], float]:
    """Grid lines and their labels; returns them and the axis' largest value."""
    ticks = _ticks(top, duration)
    parts = []
    for tick in ticks:
        if vertical:
            y = y1 - (y1 - y0) * tick / ticks[-1]
            parts.append(f'<line class="chart-grid" x1="{x0}" x2="{x1}" y1="{y:.1f}" y2="{y:.1f}"/>')
            parts.append(
                f'<text class="chart-label chart-end" x="{x0 - 6}" y="{y + 4:.1f}">{_axis_text(tick, duration)}</text>'
            )
        else:
            x = x0 + (x1 - x0) * tick / ticks[-1]
            parts.append(f'<line class="chart-grid" x1="{x:.1f}" x2="{x:.1f}" y1="{y0}" y2="{y1}"/>')
            parts.append(
                f'<text class="chart-label chart-middle" x="{x:.1f}" y="{y1 + 16}">{_axis_text(tick, duration)}</text>'
            )
    return parts, ticks[-1]


def _category_labels(categories, x_of, y) -> list[str]:
    every = max(1, math.ceil(len(categories) / 8))
    return [
        f'<text class="chart-label chart-middle" x="{x_of(n):.1f}" y="{y}">{escape(label)}</text>'
        for n, label in enumerate(categories)
        if n % every == 0
    ]


def _columns(chart: Chart, ident: str) -> SafeString:
    """Stacked columns, one per category (a week), the series stacked in legend order from the bottom."""
    parts, top_y = _legend(chart.series, 14)
    x0, x1, y0, y1 = 56, WIDTH - 8, top_y + 4, top_y + 224
    totals = [sum(v or 0 for _n, values in chart.series for v in [values[i]]) for i in range(len(chart.categories))]
    grid, top = _value_axis(max(totals, default=0), chart.duration, x0=x0, x1=x1, y0=y0, y1=y1, vertical=True)
    parts += grid
    slot = (x1 - x0) / max(len(chart.categories), 1)
    width = max(slot * 0.7, 1)
    for i in range(len(chart.categories)):
        y = y1
        for n, (_name, values) in enumerate(chart.series):
            height = (y1 - y0) * (values[i] or 0) / top
            if height > 0:
                x = x0 + slot * i + (slot - width) / 2
                parts.append(
                    f'<rect class="chart-s{n % SERIES_CLASSES}" x="{x:.1f}" y="{y - height:.1f}" '
                    f'width="{width:.1f}" height="{height:.1f}"/>'
                )
                y -= height
        if not totals[i]:
            # An empty week says 0 rather than leaving a gap the eye could take for missing data.
            x = x0 + slot * (i + 0.5)
            parts.append(f'<text class="chart-label chart-middle chart-zero" x="{x:.1f}" y="{y1 - 4}">0</text>')
    parts.append(f'<line class="chart-axis" x1="{x0}" x2="{x1}" y1="{y1}" y2="{y1}"/>')
    parts += _category_labels(chart.categories, lambda n: x0 + slot * (n + 0.5), y1 + 18)
    return _svg(chart, y1 + 26, parts, ident)


def _bars(chart: Chart, ident: str) -> SafeString:
    """Horizontal bars, one per category (a queue, a product, an agent), the series stacked left to right; with
    durations (not to be added up) the series stand side by side instead."""
    parts, top_y = _legend(chart.series, 14)
    label_chars = min(max((len(c) for c in chart.categories), default=4), 30)
    x0, x1 = 12 + label_chars * CHAR, WIDTH - 60
    stacked = not chart.duration
    band = 24 if stacked else 12 * len(chart.series) + 10
    y0, count = top_y + 4, len(chart.categories)
    y1 = y0 + band * max(count, 1)
    if stacked:
        longest = max((sum(v or 0 for _n, vs in chart.series for v in [vs[i]]) for i in range(count)), default=0)
    else:
        longest = max((v or 0 for _n, vs in chart.series for v in vs), default=0)
    grid, top = _value_axis(longest, chart.duration, x0=x0, x1=x1, y0=y0, y1=y1, vertical=False)
    parts += grid
    for i, category in enumerate(chart.categories):
        y = y0 + band * i
        parts.append(
            f'<text class="chart-label chart-end" x="{x0 - 6:.1f}" y="{y + band / 2 + 4:.1f}">'
            f"{escape(_short(category, 30))}</text>"
        )
        x = x0
        for n, (_name, values) in enumerate(chart.series):
            width = (x1 - x0) * (values[i] or 0) / top
            bar_y, bar_h = (y + 4, band - 8) if stacked else (y + 5 + 12 * n, 10)
            if width > 0:
                parts.append(
                    f'<rect class="chart-s{n % SERIES_CLASSES}" x="{x:.1f}" y="{bar_y:.1f}" '
                    f'width="{width:.1f}" height="{bar_h:.1f}"/>'
                )
            if stacked:
                x += width
    parts.append(f'<line class="chart-axis" x1="{x0:.1f}" x2="{x0:.1f}" y1="{y0}" y2="{y1}"/>')
    return _svg(chart, y1 + 26, parts, ident)


def _lines(chart: Chart, ident: str) -> SafeString:
    """A line per series over the categories (weeks); a week without a value breaks the line rather than
    drawing a zero that was never measured."""
    parts, top_y = _legend(chart.series, 14)
    x0, x1, y0, y1 = 64, WIDTH - 12, top_y + 4, top_y + 224
    longest = max((v for _n, vs in chart.series for v in vs if v is not None), default=0)
    grid, top = _value_axis(longest, chart.duration, x0=x0, x1=x1, y0=y0, y1=y1, vertical=True)
    parts += grid
    slot = (x1 - x0) / max(len(chart.categories), 1)

    def x_of(n):
        return x0 + slot * (n + 0.5)

    for n, (_name, values) in enumerate(chart.series):
        css = f"chart-s{n % SERIES_CLASSES}"
        run: list[str] = []
        for i, value in enumerate([*values, None]):
            if value is None:
                if len(run) > 1:
                    parts.append(f'<polyline class="chart-line {css}" points="{" ".join(run)}"/>')
                run = []
                continue
            point = f"{x_of(i):.1f},{y1 - (y1 - y0) * value / top:.1f}"
            run.append(point)
            parts.append(f'<circle class="{css}" cx="{point.split(",")[0]}" cy="{point.split(",")[1]}" r="3"/>')
    parts.append(f'<line class="chart-axis" x1="{x0}" x2="{x1}" y1="{y1}" y2="{y1}"/>')
    parts += _category_labels(chart.categories, x_of, y1 + 18)
    return _svg(chart, y1 + 26, parts, ident)
