"""A synthetic CRM with a known answer: the generator, its oracle and the demo.
"""
