"""Registry-scale audits: ``leakguard audit``, ``watch`` and ``findings``.

    sources (targets, npm feed, PyPI journal) --Task, Mark--> coordinator --executor.map_ordered-->
    worker (download through the gate, verify, scan_artifact, decide) --Outcome--> coordinator --> store

- ``work``: the values passed around (``Task``, ``Outcome``, ``StoredFinding``: never a secret).
- ``sources``, ``npm_feed``, ``pypi_feed``: where tasks come from, with the feeds' cursors as marks.
- ``gate``, ``http``: politeness owned by the coordinator (rate, download slots, Retry-After,
  backoff, streaming downloads with a cap); ``dask_engine`` holds the gate over Dask.
- ``worker``: what runs in a worker, one artifact at a time.
- ``coordinator``: the only writer: skips stored digests, batches outcomes, stores cursors with them.
- ``schema``, ``store``, ``query``: the database (SQLAlchemy Core; SQLite or PostgreSQL), its
  migrations, and the queries of ``findings``; ``render`` formats them.
- ``run``: one run assembled from these. The CLI's commands are in ``leakguard.cli.audit``.

Needs the ``[audit]`` extra (SQLAlchemy); ``[postgres]`` and ``[dask]`` add the rest.
"""
