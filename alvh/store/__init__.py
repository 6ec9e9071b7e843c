"""Layer 1, the warehouse: the DuckDB connection and migrations, run records and the
hash-chained audit log. Imports only `core`."""
