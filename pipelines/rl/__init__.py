"""The RL sequencer lifecycle stages: training with MLflow tracking, the benchmark, their CLI."""
