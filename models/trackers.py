"""Custom trackers: behaviors a playbook defines by ten or more example sentences.

Learned when the playbook loads: the examples and counter-examples are embedded with the
sentence encoder. A segment matches when its best cosine similarity to an example reaches
the tracker's threshold and beats its best similarity to any counter-example.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from engine.playbook import TrackerSpec
from engine.types import FloatArray, Role
from models.encoder import SentenceEncoder

DEFAULT_THRESHOLD = 0.6


@dataclass(frozen=True)
class TrackerModel:
    spec: TrackerSpec
    examples: FloatArray
    counter_examples: FloatArray

    @property
    def threshold(self) -> float:
        return self.spec.threshold if self.spec.threshold is not None else DEFAULT_THRESHOLD

    def scores(self, embeddings: FloatArray, roles: Sequence[Role | None]) -> FloatArray:
        """The match score per segment: best similarity to an example, or 0 where the
        segment's role is not the tracker's or a counter-example is at least as close."""
        if embeddings.shape[0] == 0:
            return np.zeros(0, dtype=np.float32)
        positive = (embeddings @ self.examples.T).max(axis=1)
        if self.counter_examples.shape[0]:
            negative = (embeddings @ self.counter_examples.T).max(axis=1)
            positive = np.where(positive > negative, positive, 0.0)
        if self.spec.role != "any":
            allowed = np.array([r == self.spec.role for r in roles], dtype=bool)
            positive = np.where(allowed, positive, 0.0)
        result: FloatArray = positive.astype(np.float32)
        return result


def learn_trackers(specs: Sequence[TrackerSpec], encoder: SentenceEncoder) -> list[TrackerModel]:
    """Embed each tracker's examples once (at playbook load)."""
    return [
        TrackerModel(
            spec,
            encoder.encode(list(spec.examples)),
            encoder.encode(list(spec.counter_examples)),
        )
        for spec in specs
    ]
