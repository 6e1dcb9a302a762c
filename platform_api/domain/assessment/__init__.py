"""Assessments: objective item grading (pure functions) and, later, quizzes and assignments."""
