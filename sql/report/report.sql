-- What the daily report reads for one $as_of (issue 6). Every statement is bound by $as_of (or a
-- run id) and never reads a value dated after it, so re-rendering a day gives the same content.

-- @statement stored_book
-- the day's book totals as the daily run stored them (one row, or none when not marked yet)
SELECT * FROM book_marks WHERE as_of = $as_of;

-- @statement previous_book
-- the stored totals of the trading day before (for the day's P&L by sleeve)
SELECT * FROM book_marks WHERE as_of = $previous;

-- @statement stored_positions
-- the day's position marks with the contract terms from the book and how many of its legs were
-- marked at market
WITH marks AS (
    SELECT * FROM position_marks WHERE as_of = $as_of
),
legs AS (
    SELECT position_id, count(*) AS legs_marked,
           count(*) FILTER (WHERE mark_source = 'market') AS legs_at_market
    FROM leg_marks
    WHERE as_of = $as_of
    GROUP BY position_id
),
terms AS (
    SELECT position_id, entry_date, entry_price, put_long, put_short, call_short, call_long,
           strike, source
    FROM positions
),
final AS (
    SELECT m.position_id, m.kind, m.quantity, m.expiry, m.mark, m.value, m.pnl, m.delta,
           m.gamma, m.vega, m.theta, m.vix_sensitivity, m.max_loss, m.breakeven_low,
           m.breakeven_high, m.mark_source, m.model_mark,
           coalesce(l.legs_marked, 0) AS legs_marked,
           coalesce(l.legs_at_market, 0) AS legs_at_market, t.entry_date, t.entry_price,
           t.put_long, t.put_short, t.call_short, t.call_long, t.strike, t.source
    FROM marks AS m
    LEFT JOIN legs AS l USING (position_id)
    LEFT JOIN terms AS t USING (position_id)
)
SELECT * FROM final ORDER BY kind, expiry, position_id;

-- @statement position_terms
-- contract terms of every position (joined to freshly computed marks)
SELECT position_id, entry_date, entry_price, put_long, put_short, call_short, call_long, strike,
       source
FROM positions;

-- @statement stored_layers
SELECT layer, state, reason, target_contracts, held_contracts, capped, cap_detail, parameters
FROM layer_states WHERE as_of = $as_of ORDER BY layer;

-- @statement stored_signals
SELECT signal, value, threshold, active, available, detail
FROM signal_values WHERE as_of = $as_of ORDER BY signal;

-- @statement day_orders
-- orders proposed for $as_of, and earlier orders approved but not yet executed, with approvals
WITH approvals AS (
    SELECT order_id, string_agg(approver, ', ' ORDER BY approver) AS approved_by,
           count(*) AS approvals
    FROM order_approvals
    GROUP BY order_id
),
relevant AS (
    SELECT * FROM orders
    WHERE as_of = $as_of OR (status = 'approved' AND as_of < $as_of)
),
final AS (
    SELECT o.order_id, o.as_of, o.layer, o.action, o.instrument, o.strike, o.expiry,
           o.quantity, o.price, o.cost, o.position_id, o.group_id, o.reason, o.status,
           o.fill_price, coalesce(a.approvals, 0) AS approvals, a.approved_by
    FROM relevant AS o
    LEFT JOIN approvals AS a USING (order_id)
)
SELECT * FROM final ORDER BY as_of, layer, action DESC, order_id;

-- @statement adherence
-- method §6.5: share of the orders proposed in the 365 days to $as_of that were executed
WITH window_orders AS (
    SELECT status FROM orders
    WHERE as_of > $as_of - INTERVAL 365 DAY AND as_of <= $as_of
),
final AS (
    SELECT count(*) AS proposed,
           count(*) FILTER (WHERE status = 'executed') AS executed,
           count(*) FILTER (WHERE status = 'expired') AS expired,
           count(*) FILTER (WHERE status IN ('proposed', 'approved')) AS pending
    FROM window_orders
)
SELECT * FROM final;

-- @statement freshness
-- per series: its latest observation dated and known by $as_of, and where that value came from
WITH known AS (
    SELECT series_id, obs_date, source, ingest_run_id
    FROM observations
    WHERE obs_date <= $as_of AND known_date <= $as_of
),
latest AS (
    SELECT series_id, max(obs_date) AS last_date,
           arg_max(source, obs_date) AS source,
           arg_max(ingest_run_id, obs_date) AS ingest_run_id
    FROM known
    GROUP BY series_id
),
futures AS (
    SELECT 'VIX_FUTURES' AS series_id, max(trade_date) AS last_date,
           arg_max(source, trade_date) AS source, arg_max(ingest_run_id, trade_date) AS ingest_run_id,
           'daily' AS frequency, 'VIX futures settlements (all listed contracts)' AS description,
           'Cboe Futures Exchange' AS publisher
    FROM vix_futures
    WHERE trade_date <= $as_of
    HAVING count(*) > 0
),
final AS (
    SELECT s.series_id, l.last_date, l.source, l.ingest_run_id, s.frequency, s.description,
           s.publisher
    FROM series AS s
    JOIN latest AS l USING (series_id)
    UNION ALL
    SELECT series_id, last_date, source, ingest_run_id, frequency, description, publisher
    FROM futures
)
SELECT * FROM final ORDER BY series_id;

-- @statement latest_ingest
-- the ingest run that served $as_of: the latest run of the first day on or after it (a run of a
-- later day does not change an old day's report), else the latest run of all
SELECT run_id, started_at, as_of, source_mode, status
FROM ingest_runs
ORDER BY (as_of >= $as_of) DESC, CASE WHEN as_of >= $as_of THEN as_of END, started_at DESC
LIMIT 1;

-- @statement ingest_items
SELECT item, source, origin, status, coalesce(note, '') AS note
FROM ingest_run_items WHERE run_id = $run_id ORDER BY item;

-- @statement book_history
-- the book's equity per stored day to $as_of, hedged and with the hedge sleeve taken out:
-- hedge P&L to date = hedge value + every hedge cash flow so far (premiums paid are negative)
WITH marks AS (
    SELECT as_of, value, cash, condor_value, hedge_value FROM book_marks WHERE as_of <= $as_of
),
hedge_flows AS (
    -- every cash flow of a hedge-sleeve position (premiums, opens, closes, rolls, fees,
    -- settlements), the sleeve as `book/marks.sql` flows_between tags it
    SELECT l.entry_date, l.amount
    FROM cash_ledger AS l
    JOIN positions AS p USING (position_id)
    LEFT JOIN position_entry AS e USING (position_id)
    WHERE coalesce(e.sleeve, CASE WHEN p.kind = 'iron_condor' THEN 'condor' ELSE 'hedge' END)
          = 'hedge'
),
final AS (
    SELECT m.as_of, m.value, m.cash, m.condor_value, m.hedge_value,
           m.hedge_value + coalesce(
               (SELECT sum(f.amount) FROM hedge_flows AS f WHERE f.entry_date <= m.as_of), 0
           ) AS hedge_pnl
    FROM marks AS m
)
SELECT * FROM final ORDER BY as_of;

-- @statement hedge_flows_until
-- every hedge cash flow dated on or before $as_of (premiums paid negative, proceeds positive)
WITH hedge_flows AS (
    -- as in book_history
    SELECT l.entry_date, l.amount
    FROM cash_ledger AS l
    JOIN positions AS p USING (position_id)
    LEFT JOIN position_entry AS e USING (position_id)
    WHERE coalesce(e.sleeve, CASE WHEN p.kind = 'iron_condor' THEN 'condor' ELSE 'hedge' END)
          = 'hedge'
)
SELECT coalesce(sum(amount), 0) FROM hedge_flows WHERE entry_date <= $as_of;

-- @statement pipeline_run
SELECT run_id, flow_run_id, package_version, git_commit, config_hash, started_at
FROM pipeline_runs WHERE run_id = $run_id;
