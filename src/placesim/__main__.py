"""`python -m placesim` runs the command line."""

from placesim.cli import entry

entry()
