"""Out-of-distribution checks in embedding space, used to flag essays for instructor review.

Two signals, both fitted on the training essays of a prompt:

* ``KnnNovelty``: cosine distance to the k-th nearest training essay, compared with the
  same distance among training essays themselves (its 99th percentile is the threshold).
  kNN needs no covariance estimate, which matters with 384 dimensions and a few hundred
  essays per prompt, where a Mahalanobis distance would be dominated by shrinkage.
* a prompt classifier (multinomial logistic regression over all prompts): an essay whose
  embedding is confidently another prompt's is probably answering the wrong question.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression


@dataclass
class KnnNovelty:
    reference: np.ndarray  # unit vectors of training essays, float16 to keep the artifact small
    k: int
    threshold: float

    @classmethod
    def fit(cls, embeddings: np.ndarray, k: int = 5, quantile: float = 0.99) -> KnnNovelty:
        ref = np.asarray(embeddings, dtype=np.float32)
        k = max(1, min(k, len(ref) - 1))
        sims = ref @ ref.T
        np.fill_diagonal(sims, -np.inf)  # leave-one-out: an essay is not its own neighbour
        kth = -np.partition(-sims, k - 1, axis=1)[:, k - 1]
        threshold = float(np.quantile(1.0 - kth, quantile))
        return cls(reference=ref.astype(np.float16), k=k, threshold=threshold)

    def distance(self, embeddings: np.ndarray) -> np.ndarray:
        sims = np.asarray(embeddings, dtype=np.float32) @ self.reference.astype(np.float32).T
        kth = -np.partition(-sims, self.k - 1, axis=1)[:, self.k - 1]
        return np.asarray(1.0 - kth, dtype=np.float64)


def fit_prompt_classifier(embeddings: np.ndarray, prompts: np.ndarray, seed: int = 0) -> LogisticRegression:
    model = LogisticRegression(C=1.0, max_iter=2000, random_state=seed)
    return model.fit(np.asarray(embeddings, dtype=np.float64), np.asarray(prompts))
