"""The learner's own app state: the continue-learning pointer and the offline sync change log."""
