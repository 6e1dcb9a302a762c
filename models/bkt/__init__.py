"""Bayesian Knowledge Tracing: a vectorized EM engine and the ``BKT`` / ``BKTForgets`` predictors."""
