"""Code grading: Python submissions scored by unit tests in a bubblewrap sandbox, plus static analysis.

Entry point: :func:`models.code.grader.grade_submission`. Nothing here runs at import time.
"""
