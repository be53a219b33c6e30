"""The leakage guard: columns that give the label away (outcomes in disguise), read from the data and
from the data dictionary's words.
"""
