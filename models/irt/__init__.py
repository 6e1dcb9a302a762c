"""Item response theory: 2PL calibration and an ability-tracking predictor."""
