"""Shared hypothesis strategies, one module per domain module (``tests.strategies.org`` ...)."""
