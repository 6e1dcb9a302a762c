"""The demo organization, people, course and quizzes that ``pathwise up`` seeds (idempotent)."""
