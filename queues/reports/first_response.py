"""First response: the waits for a first reply per week of arrival, channel and product, and their exact
percentiles (FirstResponseWeek)."""

import math
from collections import Counter, defaultdict

from queues.models.reports import ALL_PRODUCTS, FirstResponseWeek, ReportConversation


def nearest_rank(sorted_values: list[int], fraction: float) -> int | None:
    """The smallest value that at least this fraction of the values is no greater than."""
    if not sorted_values:
        return None
    return sorted_values[max(math.ceil(fraction * len(sorted_values)), 1) - 1]


def recompute(weeks) -> None:
    """FirstResponseWeek for these arrival weeks, from every conversation that arrived in them: medians and 90th
    percentiles cannot be added up, so a week is computed again whole (a week is a few thousand rows)."""
    for week in sorted(weeks):
        waits = FirstResponses()
        for row in ReportConversation.objects.filter(arrival_week=week).values_list(
            "arrival_week", "channel_id", "product_id", "received_at", "first_reply_at"
        ):
            waits.add(*row)
        FirstResponseWeek.objects.filter(week=week).delete()
        FirstResponseWeek.objects.bulk_create(waits.rows())


class FirstResponses:
    """The waits for a first reply, gathered per week, channel and product (and per week and channel)."""

    def __init__(self):
        self.waits = defaultdict(list)
        self.arrived = Counter()

    def add(self, week, channel_id, product_id, received_at, first_reply_at) -> None:
        for key in ((week, channel_id, product_id), (week, channel_id, ALL_PRODUCTS)):
            self.arrived[key] += 1
            if first_reply_at is not None:
                self.waits[key].append(max(int((first_reply_at - received_at).total_seconds()), 0))

    def rows(self) -> list[FirstResponseWeek]:
        rows = []
        for (week, channel_id, product_id), count in self.arrived.items():
            values = sorted(self.waits[(week, channel_id, product_id)])
            rows.append(
                FirstResponseWeek(
                    week=week,
                    channel_id=channel_id,
                    product_id=product_id,
                    arrived=count,
                    replied=len(values),
                    median_seconds=nearest_rank(values, 0.5),
                    p90_seconds=nearest_rank(values, 0.9),
                )
            )
        return rows
