"""The Prefect layer: thin tasks over `alvh`, flows that read like a table of contents.

- `flows.daily.alvh_daily` — one trading day (`alvh run`; served by `alvh serve`).
- `flows.backfill.alvh_backfill` — the daily unit over a range of days (`alvh backfill`).
- `flows.serve` — the cron deployment (weekdays 16:30 America/New_York); `prefect.yaml` deploys
  both flows to a Prefect server with workers. See docs/operations.md.
"""
