"""A/B experiment exposures: which learner saw which variant first, and when."""
