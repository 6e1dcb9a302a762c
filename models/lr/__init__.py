"""Logistic-regression knowledge tracing over causal count features (item and skill aware)."""
