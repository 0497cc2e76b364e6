"""The outbox: things the portal owes the outside world (replies to customers, notices to product teams).

An item is a row of a model that carries the OutboxItem fields (models.py). It moves
queued → sending → sent | failed | unknown. A worker (worker.py, `manage.py deliver`) claims one due item with a
lease (engine.py), commits, makes the call outside any transaction, and records the outcome and one Attempt in a new
transaction. What to send and how is a Kind's business (kinds.py: the interface): the outbox knows the states,
the leases, the backoff and the attempts, nothing about platforms.
"""

from queues.outbox.wakeup import notify

__all__ = ["notify"]
