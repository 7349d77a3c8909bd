"""Benchmarks: Singlet against the table-per-entity design it replaces (`make bench`)."""
