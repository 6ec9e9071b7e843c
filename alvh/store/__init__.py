"""Layer 1, the warehouse: the DuckDB connection and migrations, run records and the
hash-chained audit log. Imports only `core`."""

# How long a writer waits for another process to release the warehouse before exiting 4. Here,
# not in `runs`, so the CLI can show it as a default without importing DuckDB at start-up.
DEFAULT_WAIT_SECONDS = 30.0
