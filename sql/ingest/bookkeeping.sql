-- Bookkeeping of ingest runs: the catalogue, the run and its items, quarantined rows.

-- @statement catalogue
INSERT OR REPLACE INTO series
SELECT series_id, description, unit, frequency, publisher, source_url, low, high, known_rule
FROM catalogue;

-- @statement start_run
INSERT INTO ingest_runs (run_id, started_at, as_of, source_mode, status)
VALUES ($run_id, $started_at, $as_of, $mode, 'running');

-- @statement finish_run
UPDATE ingest_runs
SET finished_at = $finished_at, status = $status, inserted = $inserted, updated = $updated,
    unchanged = $unchanged, rejected = $rejected, duration_seconds = $duration
WHERE run_id = $run_id;

-- @statement item
INSERT INTO ingest_run_items
VALUES ($run_id, $item, $source, $origin, $status, $note, $inserted, $updated, $unchanged,
        $rejected, $missing, $withheld, $duration);

-- @statement rejects
INSERT INTO rejected_rows
SELECT $run_id, $item, $origin, line, column_name, rule, raw_value, message, $rejected_at
FROM rejects;

-- @statement cpi_release_calendar
SELECT reference_month, event_date AS release_date
FROM event_calendar
WHERE event_type = $event_type AND reference_month IS NOT NULL
ORDER BY reference_month;
