"""High-stakes exams: address allow-lists, time windows, single admissions and guard plugins."""
