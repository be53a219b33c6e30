"""Flat mode: a lead table with one row per lead and a target column, trained, scored and reported.
"""
