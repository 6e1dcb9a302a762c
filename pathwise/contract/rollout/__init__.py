"""Rollouts per model slot, shared by serving (which applies them) and the platform API (which starts,
promotes and aborts them for the ML console): the spec, sticky assignment, live metrics, the canary
controller and the stores on the application database. Pure pieces: pydantic, NumPy and SQLAlchemy Core."""
