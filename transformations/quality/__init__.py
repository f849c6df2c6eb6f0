"""Data-quality rules: the metrics each rule type computes (aggregate Column expressions, all of a
dataset's in one pass) and how each turns its metrics into an outcome."""
