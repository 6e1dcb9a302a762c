"""High-stakes exams: address allow-lists, time windows, single sessions and guard plugins."""
