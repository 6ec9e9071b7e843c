"""Layer 2, the data: publishers' readers (`sources`), validation and quarantine, ingest,
publication dates, and point-in-time reads of what the warehouse knew on a day (`known`,
`market_day`, `status`). The bundled offline snapshot lives in `bundled/`."""
