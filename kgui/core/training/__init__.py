"""Training: engines, models, optimizers, schedules, the trainer and its controls, and what a run computes beside its loss (metrics, layer statistics, surfaces, the learning-rate finder, parity)."""
