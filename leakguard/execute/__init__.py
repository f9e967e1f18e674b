"""TEMPORARY until main's leakguard.execute lands (take main's version in the merge)."""

from __future__ import annotations

from leakguard.audit._interim import TaskFailed as TaskFailed
