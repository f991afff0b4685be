"""Speed measurements, each reported as a ratio against a baseline timed side by side.

Run them with `python -m benchmarks` (see benchmarks/__main__.py); results
and how to read them are in benchmarks/README.md. Not part of `make test`.
"""
