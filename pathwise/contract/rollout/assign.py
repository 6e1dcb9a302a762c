"""Sticky variant assignment: a keyed hash of the learner id, identical on every replica and after restarts.

Python's ``hash()`` is salted per process, so it would move learners between variants on
every restart; BLAKE2b of ``slot:salt:learner`` is stable and uniform. Buckets are
basis points (0..9999), so traffic can be set to 0.01 % resolution.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum

BUCKETS = 10_000


class Variant(StrEnum):
    CHAMPION = "champion"
    CHALLENGER = "challenger"


def bucket(learner_id: str, *, slot: str, salt: str = "") -> int:
    digest = hashlib.blake2b(f"{slot}:{salt}:{learner_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % BUCKETS


def assign(learner_id: str, traffic_percent: float, *, slot: str, salt: str = "") -> Variant:
    """Challenger for the first ``traffic_percent`` of buckets; raising the percentage only adds learners."""
    threshold = round(traffic_percent * BUCKETS / 100)
    return Variant.CHALLENGER if bucket(learner_id, slot=slot, salt=salt) < threshold else Variant.CHAMPION
