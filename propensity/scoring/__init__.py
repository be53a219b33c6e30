"""Scoring: batch and streamed scoring, reasons (exact TreeSHAP), grades, the account view, explaining one
lead, the hand-tuned points baseline, trend and write-back files.
"""
