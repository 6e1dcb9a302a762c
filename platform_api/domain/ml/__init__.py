"""The ML engineer console: the model registry read from MLflow, rollouts per slot and their live gates."""
