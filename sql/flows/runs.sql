-- The pipeline's run records (table pipeline_runs, migration 0003): one row per run of the daily
-- unit or of a backfill, written as the run goes so a killed run shows how far it got.

-- @statement running
-- runs left 'running' by a process that no longer holds the warehouse (it was killed)
SELECT run_id, as_of, started_at, step_timings FROM pipeline_runs WHERE status = 'running';

-- @statement abandon_ingests
-- ingest runs left 'running' by a process that no longer holds the warehouse (it was killed)
UPDATE ingest_runs SET status = 'abandoned', finished_at = $finished_at
WHERE status = 'running'
RETURNING run_id;

-- @statement fail_ingest
UPDATE ingest_runs SET status = 'failed', finished_at = $finished_at
WHERE run_id = $run_id AND status = 'running';

-- @statement abandon
UPDATE pipeline_runs
SET status = 'abandoned', finished_at = $finished_at,
    message = 'the process stopped before the run finished (killed or crashed); '
              || 'the steps it committed are kept, the next run of the day replaces them'
WHERE run_id = $run_id;

-- @statement insert
INSERT INTO pipeline_runs (run_id, flow_run_id, as_of, started_at, status, package_version,
                           git_commit, config_hash, step_timings, row_counts)
VALUES ($run_id, $flow_run_id, $as_of, $started_at, 'running', $package_version, $git_commit,
        $config_hash, '{}', '{}');

-- @statement progress
SELECT step_timings, row_counts FROM pipeline_runs WHERE run_id = $run_id;

-- @statement record_step
UPDATE pipeline_runs
SET as_of = $as_of, step_timings = $step_timings, row_counts = $row_counts,
    input_hash = coalesce($input_hash, input_hash)
WHERE run_id = $run_id;

-- @statement finish
UPDATE pipeline_runs
SET status = $status, finished_at = $finished_at, message = $message,
    audit_head_seq = $audit_head_seq, audit_head_hash = $audit_head_hash
WHERE run_id = $run_id;

-- @statement runs_of_day
-- the finished runs of one as_of, newest first
SELECT run_id, flow_run_id, as_of, started_at, finished_at, status, package_version, git_commit,
       config_hash, input_hash, step_timings, row_counts, message
FROM pipeline_runs
WHERE as_of = $as_of AND status <> 'running'
ORDER BY started_at DESC;

-- @statement latest_day
-- the latest as_of with a finished run of the daily unit
SELECT max(as_of) FROM pipeline_runs
WHERE status IN ('success', 'warning') AND run_id LIKE 'daily-%';

-- @statement input_hash
-- a fingerprint of everything a day is computed from, as it stood when the day ran: market and
-- macro observations up to $as_of (a revised value changes it), VIX futures, the event
-- calendar, the book, its closes and the cash ledger's own entries (settlements are derived)
WITH parts AS (
    SELECT 'observations' AS part, count(*) AS n,
           coalesce(bit_xor(hash(series_id, obs_date, value, known_date)), 0) AS h
    FROM observations WHERE obs_date <= $as_of
    UNION ALL
    SELECT 'vix_futures', count(*),
           coalesce(bit_xor(hash(trade_date, contract_month, expiry, settle, close)), 0)
    FROM vix_futures WHERE trade_date <= $as_of
    UNION ALL
    SELECT 'event_calendar', count(*),
           coalesce(bit_xor(hash(event_type, event_date, reference_month, status)), 0)
    FROM event_calendar
    UNION ALL
    SELECT 'positions', count(*),
           coalesce(bit_xor(hash(position_id, kind, expiry, quantity, entry_date, entry_price,
                                 put_long, put_short, call_short, call_long, strike)), 0)
    FROM positions WHERE entry_date <= $as_of
    UNION ALL
    SELECT 'position_closes', count(*),
           coalesce(bit_xor(hash(order_id, position_id, close_date, quantity, price)), 0)
    FROM position_closes WHERE close_date <= $as_of
    UNION ALL
    SELECT 'cash_ledger', count(*),
           coalesce(bit_xor(hash(entry_id, entry_date, amount, kind)), 0)
    FROM cash_ledger WHERE entry_date <= $as_of AND kind <> 'settlement'
)
SELECT part, n, h FROM parts ORDER BY part;

-- @statement run_as_of
SELECT as_of FROM pipeline_runs WHERE run_id = $run_id;
