"""Shared pytest configuration: hypothesis profiles for the property-based tests.

`course` (the default) keeps `make test` fast on a small machine: 25 examples
per property and no per-example deadline (a shared CPU makes timings noisy).
Run `HYPOTHESIS_PROFILE=thorough python -m pytest ...` for a deeper search.
"""

import os

from hypothesis import settings

settings.register_profile("course", max_examples=25, deadline=None)
settings.register_profile("thorough", max_examples=500, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "course"))
