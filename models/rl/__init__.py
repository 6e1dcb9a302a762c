"""Curriculum sequencing policies: the RLlib-trained sequencer and the baselines it must beat."""
