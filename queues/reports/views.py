"""The report pages (/reports/), for moderators and admins. Each page first folds the events written since the
last rollup (a few, when cron runs `rollup_reports`), then reads the rollup tables: exact up to the moment it is
drawn, at a cost that does not grow with the conversations."""

import csv
from dataclasses import dataclass
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from queues.permissions import can_moderate
from queues.reports import charts, queries, rollup
from queues.reports.forms import ReportFilterForm

# Events a page folds before it draws; past that it says how far it got and leaves the rest to cron.
CATCH_UP = 5000


@dataclass(frozen=True)
class Report:
    title: str
    description: str
    build: object  # (filters, names, now) -> (tables, extra context)
    weekly: bool = True
    scoped: bool = True  # filtered by channel and product


def _ranged(query):
    return lambda filters, names, now: (query(filters, names), {})


def _now(query):
    return lambda filters, names, now: (query(filters, names, now=now), {})


def _stale(filters, names, now):
    table, total = queries.stale_escalations(filters, names, now=now)
    return [table], {"stale_total": total, "stale_cap": queries.STALE_COUNT_CAP}


REPORTS = {
    "escalations": Report(
        _("Escalations"), _("Escalations per week, by reason and by product."), _ranged(queries.escalations)
    ),
    "backlog": Report(
        _("Backlog now"),
        _(
            "Open conversations per queue by how long they have been in it: since they arrived, or since the last "
            "move, hold, escalation, reopening or customer message that put them there."
        ),
        _now(queries.backlog),
        weekly=False,
    ),
    "first-response": Report(
        _("First response"),
        _(
            "Time from a conversation's arrival to its first reply, per channel, by the week it arrived: the median "
            "and the 90th percentile of the conversations replied to (the smallest time that half, or 90 %, of "
            "them waited no longer than)."
        ),
        _ranged(queries.first_response),
    ),
    "escalation-to-close": Report(
        _("Escalation to close"),
        _(
            "How long escalated conversations took from their first escalation to their close, per product, for "
            "the closes in the range. A reopened conversation escalated again counts again."
        ),
        _ranged(queries.escalation_to_close),
    ),
    "on-hold": Report(
        _("On hold outcomes"),
        _("How conversations left the on-hold queue, per week."),
        _ranged(queries.hold_outcomes),
    ),
    "agents": Report(
        _("Agent activity"),
        _(
            "Replies, notes, escalations and closes per week and per agent, across all channels and products. "
            "Only moderators and admins can see this page."
        ),
        _ranged(queries.agent_activity),
        scoped=False,
    ),
    "stale": Report(
        _("Stale escalations"),
        _("Open escalated conversations nobody has touched for a while, longest silent first: a list to act on."),
        _stale,
        weekly=False,
    ),
}


def moderator_required(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not can_moderate(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@moderator_required
@require_GET
def index(request):
    return render(request, "queues/reports/index.html", {"reports": REPORTS.items()})


def _cells(table: queries.Table) -> list[list[str]]:
    """The table as the page and the CSV show it: durations as h:mm:ss, everything else as it is."""
    return [
        [charts.duration_text(cell) if n in table.durations else str(cell) for n, cell in enumerate(row)]
        for row in table.rows
    ]


def _build(request, slug):
    spec = REPORTS.get(slug)
    if spec is None:
        raise Http404
    names = queries.Names.load()
    form = ReportFilterForm(request.GET, names=names, ranged=spec.weekly, scoped=spec.scoped, stale=slug == "stale")
    context = {"slug": slug, "report": spec, "form": form, "reports": REPORTS.items()}
    if not form.is_valid():
        return None, context
    folded = rollup.catch_up(limit=CATCH_UP)
    filters = form.filters()
    tables, extra = spec.build(filters, names, timezone.now())
    context.update(extra, filters=filters, folded=folded, tables=tables)
    return tables, context


@moderator_required
@require_GET
def report(request, slug):
    tables, context = _build(request, slug)
    if tables is None:
        return render(request, "queues/reports/report.html", context, status=400)
    query = request.GET.urlencode()
    context["sections"] = [
        {
            "table": table,
            "cells": list(zip(_cells(table), table.links or [""] * len(table.rows), strict=True)),
            "charts": [
                (chart.title, charts.draw(chart, f"{table.slug}-chart-{n}")) for n, chart in enumerate(table.charts)
            ],
            "right": _numeric_columns(table),
            "csv": f"{table.slug}.csv" + (f"?{query}" if query else ""),
        }
        for table in tables
    ]
    context["no_data"] = all(table.empty for table in tables)
    return render(request, "queues/reports/report.html", context)


def _numeric_columns(table: queries.Table) -> set[int]:
    """The columns that hold numbers (right-aligned): every cell an int, a duration or empty."""
    return {
        n
        for n in range(1, len(table.headers))
        if n in table.durations or all(isinstance(row[n], int | None) for row in table.rows)
    }


@moderator_required
@require_GET
def report_csv(request, slug, table):
    tables, context = _build(request, slug)
    if tables is None:
        return render(request, "queues/reports/report.html", context, status=400)
    chosen = next((t for t in tables if t.slug == table), None)
    if chosen is None:
        raise Http404
    filters = context["filters"]
    name = f"{slug}-{table}" + (f"-{filters.start}-{filters.end}" if REPORTS[slug].weekly else "")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    writer = csv.writer(response)
    writer.writerow(chosen.headers)
    writer.writerows(_cells(chosen))
    return response
