"""Reports: the sales-ops HTML report, its figures, its SVG charts (inline in the page and logged as
a training run's plots), the drivers PNG of `explain --png`, terminal tables.
"""
