"""Lambda SnapStart's runtime hooks for the API function (docs/performance.md, "SnapStart").

With SnapStart, Lambda runs the function's init (`import app`) once when a version is
published, snapshots the memory, and starts every new execution environment from that snapshot
instead of importing again. What the init left in memory is then shared by every environment
restored from it, possibly hours later, so:

- before the snapshot, work that is the same in every environment is done once (boto3 and
  botocore imported: the first request of every environment would otherwise pay it);
- after each restore, what must be unique or fresh is renewed: `random`'s state (seeded from
  the OS at import, it would be the same sequence in every restored environment: botocore's
  retry jitter draws from it), and every AWS client, connection, credential, setting, adapter
  and TTL cache the composition root holds (`wiring.reset()`; nothing is built at import, so
  this is a safeguard that costs nothing, and anything a future init warms is dropped too).
  Clocks need nothing: the code reads the time on each use, and no TTL cache survives a restore.

The hooks come from `snapshot_restore_py`, which Lambda's Python runtimes (3.12 and later) ship;
elsewhere (tests, the local stack) it is absent and `register_hooks` does nothing.
"""

from __future__ import annotations

import random

from chalicelib import wiring
from chalicelib.adapters.aws_clients import load_boto3


def before_snapshot() -> None:
    """Import what the first request of every environment imports anyway (boto3, botocore's
    client machinery and a session's customisations); no client, credential or connection is made."""
    load_boto3()


def after_restore() -> None:
    """Make this environment's state its own: a fresh `random` seed, and no client, connection,
    credential, setting or cache from the snapshot."""
    random.seed()
    wiring.reset()


def register_hooks() -> bool:
    """Register both hooks with Lambda's runtime; False where there is no such runtime."""
    try:
        from snapshot_restore_py import register_after_restore, register_before_snapshot
    except ImportError:
        return False
    register_before_snapshot(before_snapshot)
    register_after_restore(after_restore)
    return True
