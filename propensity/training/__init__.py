"""Training a model from an event export: cutoffs and labels, the training set, the preflight and `check`,
negative downsampling, the rolling-origin backtest, the search, the fit, the gate and the learned scorecard.
"""
