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
    (run_id, item, source, origin, status, note, inserted, updated, unchanged, rejected, missing,
     withheld, duration_seconds, content_hash)
VALUES ($run_id, $item, $source, $origin, $status, $note, $inserted, $updated, $unchanged,
        $rejected, $missing, $withheld, $duration, $content_hash);

-- @statement rejects
INSERT INTO rejected_rows
SELECT $run_id, $item, $origin, line, column_name, rule, raw_value, message, $rejected_at
FROM rejects;

-- @statement latest_items
-- Each item's most recent record from an earlier run, with that run's day and what the item's
-- rows look like in the warehouse now (how many, the newest date): the candidate for reuse
-- when today's input has the same fingerprint.
WITH latest AS (
    SELECT i.item, i.content_hash, i.status, i.rejected,
           i.inserted + i.updated + i.unchanged AS rows, i.missing, i.withheld, i.run_id, r.as_of
    FROM ingest_run_items AS i
    JOIN ingest_runs AS r USING (run_id)
    WHERE i.run_id <> $run_id
    QUALIFY row_number() OVER (PARTITION BY i.item ORDER BY r.started_at DESC, i.run_id DESC) = 1
),
stored AS (
    SELECT series_id AS item, count(*) AS stored_rows, max(obs_date) AS last_date
    FROM observations
    GROUP BY series_id
    UNION ALL
    SELECT 'VIX_FUTURES', count(*), max(trade_date)
    FROM vix_futures
    UNION ALL
    SELECT event_type || '_CALENDAR', count(*), max(event_date)
    FROM event_calendar
    GROUP BY event_type
),
final AS (
    SELECT l.*, coalesce(s.stored_rows, 0) AS stored_rows, s.last_date
    FROM latest AS l
    LEFT JOIN stored AS s USING (item)
)
SELECT * FROM final;

-- @statement cpi_release_calendar
-- One release day per reference month. A rescheduled release leaves its old row behind (rows a
-- publisher stops sending are kept): the later day wins, so a value is never taken as known
-- before any day listed for its release.
SELECT reference_month, max(event_date) AS release_date
FROM event_calendar
WHERE event_type = $event_type AND reference_month IS NOT NULL
GROUP BY reference_month
ORDER BY reference_month;

-- @statement stored_values
-- one series' stored values, to judge a new or revised value's one-day move against
SELECT obs_date, value FROM observations WHERE series_id = $series_id ORDER BY obs_date;
