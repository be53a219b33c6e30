"""Reports: the sales-ops HTML report, its figures, its SVG charts, the PNG plots, terminal tables.
"""
