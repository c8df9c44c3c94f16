"""Suites the backend tests launch through the real runner (the server's test root)."""
