-- Backtest results (alvh.backtest.store): replace one run's rows, then read them back.
-- Writes run in order inside one transaction; the incoming_* relations are registered frames.
-- Bind parameters: $run_id, and for `insert_run` the run's columns.

-- @statement delete_attribution
DELETE FROM backtest_attribution WHERE run_id = $run_id;

-- @statement delete_events
DELETE FROM backtest_events WHERE run_id = $run_id;

-- @statement delete_equity
DELETE FROM backtest_equity WHERE run_id = $run_id;

-- @statement delete_metrics
DELETE FROM backtest_metrics WHERE run_id = $run_id;

-- @statement delete_run
DELETE FROM backtest_runs WHERE run_id = $run_id;

-- @statement insert_run
INSERT INTO backtest_runs
VALUES ($run_id, $preset, $variants, $start_date, $end_date, $config, $summary,
        $claim_variant, $claim_median, $claim_verdict, $created_at);

-- @statement insert_metrics
INSERT INTO backtest_metrics
SELECT $run_id, variant, cagr, vol, sharpe, sortino, max_drawdown,
       CAST(max_drawdown_start AS DATE), CAST(max_drawdown_end AS DATE), calmar, worst_month,
       worst_month_return, hedge_cost_per_year, premium_decay, futures_roll_down, spread_cost,
       vix_move_payoff, premium_per_year, final_equity
FROM incoming_metrics;

-- @statement insert_equity
INSERT INTO backtest_equity
SELECT $run_id, variant, CAST(date AS DATE), equity, drawdown, condor_pnl, hedge_pnl, cash
FROM incoming_equity;

-- @statement insert_events
INSERT INTO backtest_events
SELECT $run_id, event, variant, kind, CAST(start AS DATE), CAST("end" AS DATE), drawdown,
       reduction, in_claim_check
FROM incoming_events;

-- @statement insert_attribution
INSERT INTO backtest_attribution
SELECT $run_id, variant, seq, CAST(date AS DATE), layer, signal, action, contracts, price,
       cash_flow, earned
FROM incoming_attribution;

-- @statement runs
-- every stored run, newest first
WITH runs AS (
    SELECT run_id, preset, variants, start_date, end_date, claim_variant, claim_median,
           claim_verdict, created_at
    FROM backtest_runs
),
final AS (
    SELECT * FROM runs
)
SELECT * FROM final ORDER BY created_at DESC;

-- @statement metrics
-- one run's metrics, one row per variant
SELECT * FROM backtest_metrics WHERE run_id = $run_id ORDER BY variant;

-- @statement equity
-- one run's equity.csv rows
SELECT variant, date, equity, drawdown, condor_pnl, hedge_pnl, cash
FROM backtest_equity
WHERE run_id = $run_id
ORDER BY variant, date;

-- @statement counts
-- rows stored for one run, per table
SELECT 'backtest_metrics' AS table_name, count(*) AS n FROM backtest_metrics WHERE run_id = $run_id
UNION ALL
SELECT 'backtest_equity', count(*) FROM backtest_equity WHERE run_id = $run_id
UNION ALL
SELECT 'backtest_events', count(*) FROM backtest_events WHERE run_id = $run_id
UNION ALL
SELECT 'backtest_attribution', count(*) FROM backtest_attribution WHERE run_id = $run_id;
