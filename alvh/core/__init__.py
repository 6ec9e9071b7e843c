"""Layer 0, what every other layer may use: errors and exit codes, settings, the NYSE and VIX
calendars, number helpers and where the non-Python resources live. Imports nothing above it."""
