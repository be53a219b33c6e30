"""Point-in-time features: the feature builder and its registry, the contact's engagement, the account's
buying committee, job titles, lead-to-account matching, and the event index with its compiled kernels.
"""
