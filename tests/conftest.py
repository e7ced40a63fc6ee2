"""Shared test configuration.

pytest puts this file's folder (tests/) on sys.path (rootdir-relative "prepend" import
mode, as tests/ is not a package), so test modules anywhere below can
``import strategies`` for the shared hypothesis strategies in tests/strategies.py.
"""

import os

from hypothesis import settings

# CI explores the same examples on every run (a red CI blocks landing, so it must not
# depend on luck); locally hypothesis keeps exploring new ones.
settings.register_profile("ci", derandomize=True, print_blob=True)
# Opt-in long runs of the fuzz tests (tests/property/test_fuzz_scenarios.py) and of every
# other test that leaves max_examples to the profile: HYPOTHESIS_PROFILE=fuzz pytest ...
settings.register_profile("fuzz", max_examples=5000)
if os.environ.get("CI"):
    settings.load_profile("ci")
if os.environ.get("HYPOTHESIS_PROFILE"):
    settings.load_profile(os.environ["HYPOTHESIS_PROFILE"])
