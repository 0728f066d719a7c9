"""The two personal heads, both linear scorers ``s(x) = x · w`` on standardised features.

* :func:`fit_pointwise`: ridge regression of the decision utility (stars, pick, reject) on
  the features, closed form. It learns "what the user keeps" across the library.
* :func:`fit_pairwise`: RankNet (Burges et al., 2005) with a linear scorer,
  ``P(a beats b) = sigmoid(s(a) - s(b))``, minimising the weighted pairwise log-loss plus an
  L2 penalty. With a linear scorer this is logistic regression on feature *differences*
  without intercept, which is convex, so Newton's method solves it exactly in a dozen steps
  (d is ~40, the Hessian is tiny); no learning rate to tune, no torch.

Both take ``signs`` (one per feature: +1, -1 or 0 for free): a technical defect keeps its sign
whatever the decisions say. A weight the solver would give the wrong sign is fixed at 0 and the
rest refitted (an active-set pass, repeated until every weight obeys; at most one refit per
feature), so a user whose picks happen to be blurrier than their rejects can teach the model
what they like to look at, but never that blur is good.

numpy only and written here rather than taken from scikit-learn: the engine must not pull a
100 MB dependency for two 20-line solvers, and scipy is not an app dependency.
"""

from __future__ import annotations

import numpy as np

POINTWISE_L2 = 10.0
PAIRWISE_L2 = 3.0
_NEWTON_STEPS = 25
_NEWTON_TOLERANCE = 1e-7


def fit_pointwise(features: np.ndarray, utility: np.ndarray, l2: float = POINTWISE_L2,
                  signs: np.ndarray | None = None) -> np.ndarray:
    """Ridge weights (no intercept needed for ranking: the utility is centred first)."""
    centred = utility - utility.mean() if len(utility) else utility

    def solve(x: np.ndarray) -> np.ndarray:
        return np.linalg.solve(x.T @ x + l2 * np.eye(x.shape[1]), x.T @ centred)

    return _sign_constrained(solve, features, signs)


def fit_pairwise(differences: np.ndarray, weights: np.ndarray | None = None, l2: float = PAIRWISE_L2,
                 signs: np.ndarray | None = None) -> np.ndarray:
    """RankNet weights from ``differences[p] = x(winner) - x(loser)``.

    Minimises ``sum_p weights_p * log(1 + exp(-d_p · w)) + l2/2 |w|^2`` by Newton's method.
    """
    return _sign_constrained(lambda x: _ranknet(x, weights, l2), differences, signs)


def _sign_constrained(solve, x: np.ndarray, signs: np.ndarray | None) -> np.ndarray:
    """``solve`` on the free columns of ``x``, dropping columns whose weight breaks its sign (see above)."""
    free = np.ones(x.shape[1], bool)
    w = np.zeros(x.shape[1])
    for _ in range(x.shape[1] + 1):
        w = np.zeros(x.shape[1])
        w[free] = solve(x[:, free]) if free.any() else 0.0
        wrong = free & (np.sign(w) * (signs if signs is not None else 0) < 0)
        if not wrong.any():
            break
        free &= ~wrong
    return w


def _ranknet(differences: np.ndarray, weights: np.ndarray | None, l2: float) -> np.ndarray:
    n, d = differences.shape
    weights = np.ones(n) if weights is None else weights
    w = np.zeros(d)
    for _ in range(_NEWTON_STEPS):
        margin = differences @ w
        p_wrong = _sigmoid(-margin)
        gradient = -(differences.T @ (weights * p_wrong)) + l2 * w
        curvature = weights * p_wrong * (1.0 - p_wrong)
        hessian = (differences * curvature[:, None]).T @ differences + l2 * np.eye(d)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if float(np.abs(step).max(initial=0.0)) < _NEWTON_TOLERANCE:
            break
    return w


def personal_score(taste: np.ndarray, defects: np.ndarray, cap: float) -> np.ndarray:
    """Taste squashed into -cap..cap (order kept; no squashing when cap is 0) plus the fixed defect term."""
    squashed = cap * np.tanh(taste / cap) if cap > 0 else taste
    return squashed + defects


def win_probability(score_a: np.ndarray | float, score_b: np.ndarray | float) -> np.ndarray | float:
    """RankNet's reading of two scores: P(a is preferred to b)."""
    return _sigmoid(np.asarray(score_a) - np.asarray(score_b))


def unit_scale(weights: np.ndarray, features: np.ndarray) -> np.ndarray:
    """``weights`` rescaled so the scores it gives on ``features`` have unit spread.

    Makes the two heads' scores commensurable before they are blended.
    """
    spread = float(np.std(features @ weights)) if len(features) else 0.0
    return weights / spread if spread > 1e-12 else weights


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=np.float64)))
