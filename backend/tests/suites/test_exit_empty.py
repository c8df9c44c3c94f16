"""Collects nothing: pytest exits 5."""
