"""The Prefect layer: thin tasks over `alvh`, flows that read like a table of contents."""
