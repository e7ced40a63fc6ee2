"""`python -m placesim` runs the command line."""

import sys

from placesim.cli import main

sys.exit(main())
