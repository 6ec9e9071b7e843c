"""Layer 4, the book: positions and their import, costs (§3.4), leg valuation, daily marks and
the §4.4 scenario grid."""
