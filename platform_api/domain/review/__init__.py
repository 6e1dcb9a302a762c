"""Instructor workflows: review queue, audited score changes, comments, grade book, regrade."""
