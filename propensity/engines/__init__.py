"""Engines beyond one process: the same features, training rows and scores computed on Apache Spark
(`--engine spark`), for exports larger than one machine.
"""
