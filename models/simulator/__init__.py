"""A learner simulator for sequencing policies, calibrated on ASSISTments 2009 (see ``calibration``)."""
