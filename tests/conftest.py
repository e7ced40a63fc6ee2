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
if os.environ.get("CI"):
    settings.load_profile("ci")
