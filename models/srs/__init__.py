"""Spaced-repetition scheduling (FSRS) fed by attempts."""
