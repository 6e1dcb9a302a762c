"""Essay scoring: per-prompt rubric scores with calibrated confidence and review flags.

Training, evaluation and serving share :class:`models.essay.scorer.EssayScorer`.
"""
