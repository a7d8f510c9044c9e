"""Fuzz tests of every file reader: mutated seed files and generated inputs (see harness.py)."""
