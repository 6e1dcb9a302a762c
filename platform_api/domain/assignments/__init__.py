"""Assignments: deadlines, late policy, attempt limits and the file submission portal."""
