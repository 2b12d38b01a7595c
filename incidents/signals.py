"""Signals other apps listen to (apps above incidents must not be imported from here).

``records_changed`` is sent inside the transaction that changed a dataset's records (an import,
a withdrawal, a recompute of priority bits). ``dataset_ids`` lists the datasets, or is None for
every dataset. Receivers that do heavy work queue it with ``transaction.on_commit``.
"""

from django.dispatch import Signal

records_changed = Signal()
