"""Real concurrency for the PostgreSQL tests: calls that start at the same moment, each on its own connection."""

import threading

from django.db import connection


def run_at_once(*calls, timeout=60):
    """Run the calls in threads that start together; return what each returned or raised."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def worker(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as error:  # the losers' refusals are results too
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return results
