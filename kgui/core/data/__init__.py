"""Data: the datasets, their registry and caches, toy problems, features, and reading CSV files."""
