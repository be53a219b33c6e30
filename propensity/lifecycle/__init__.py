"""A model's life after training: the tracking store, scheduled retraining and its lock, the score
history and drift.
"""
