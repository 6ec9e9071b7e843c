-- What changed between the previous stored run and $as_of (issue 5 `alvh history`, issue 6).

-- @statement previous_run
-- the latest day before $as_of with stored marks or layer states
WITH days AS (
    SELECT as_of FROM book_marks
    UNION
    SELECT as_of FROM layer_states
)
SELECT max(as_of) FROM days WHERE as_of < $as_of;

-- @statement book_on
SELECT as_of, spx, vix, value, delta, gamma, vega, theta, risk_capital,
       condor_vix_sensitivity, hedge_vix_sensitivity, vega_offset_ratio, liquidity_ratio
FROM book_marks WHERE as_of = $as_of;

-- @statement positions_on
SELECT position_id, kind, quantity, expiry FROM position_marks WHERE as_of = $as_of;

-- @statement layers_on
SELECT layer, state, reason, target_contracts, held_contracts
FROM layer_states WHERE as_of = $as_of ORDER BY layer;

-- @statement signals_on
SELECT signal, value, threshold, active, available, detail
FROM signal_values WHERE as_of = $as_of ORDER BY signal;

-- @statement orders_since
-- orders proposed from the previous run's day through $as_of, with their approvals
WITH approvals AS (
    SELECT order_id, string_agg(approver, ', ' ORDER BY approver) AS approved_by
    FROM order_approvals
    GROUP BY order_id
),
relevant AS (
    SELECT * FROM orders WHERE as_of >= $previous AND as_of <= $as_of
),
final AS (
    SELECT o.order_id, o.as_of, o.layer, o.action, o.quantity, o.strike, o.expiry, o.price,
           o.status, o.fill_price, o.reason, a.approved_by
    FROM relevant AS o
    LEFT JOIN approvals AS a USING (order_id)
)
SELECT * FROM final ORDER BY as_of, layer, order_id;

-- @statement revisions
-- values replaced by ingest runs made for days after $previous through $as_of, per series
WITH runs AS (
    SELECT run_id, as_of AS run_as_of FROM ingest_runs
    WHERE as_of > $previous AND as_of <= $as_of
),
revised AS (
    SELECT r.series_id, r.obs_date, r.old_value, r.new_value, r.old_source, r.new_source,
           r.revised_by_run_id
    FROM observation_revisions AS r
    JOIN runs ON runs.run_id = r.revised_by_run_id
    WHERE r.obs_date <= $as_of
),
final AS (
    SELECT series_id, count(*) AS n, min(obs_date) AS first_date, max(obs_date) AS last_date,
           arg_max(old_value, abs(new_value - old_value)) AS old_value,
           arg_max(new_value, abs(new_value - old_value)) AS new_value,
           arg_max(obs_date, abs(new_value - old_value)) AS largest_date,
           string_agg(DISTINCT old_source, ', ') AS old_sources,
           string_agg(DISTINCT new_source, ', ') AS new_sources,
           string_agg(DISTINCT revised_by_run_id, ', ') AS runs
    FROM revised
    GROUP BY series_id
)
SELECT * FROM final ORDER BY series_id;
