-- Backfill: the daily unit's derived rows for a range of days, written set-based per chunk of
-- days (one DELETE and one INSERT per table) inside one transaction per chunk. The frames
-- registered by alvh/pipeline.py carry the same columns as the daily writes.

-- @statement marked_days
-- the days with both SPX and VIX closes in [$start, $end]: the days the daily unit can mark
SELECT s.obs_date AS as_of
FROM observations AS s
WHERE s.series_id = 'SPX' AND s.obs_date BETWEEN $start AND $end
  AND EXISTS (SELECT 1 FROM observations AS v
              WHERE v.series_id = 'VIX' AND v.obs_date = s.obs_date)
ORDER BY as_of;

-- @statement delete_legs
DELETE FROM leg_marks WHERE as_of BETWEEN $first AND $last;

-- @statement delete_positions
DELETE FROM position_marks WHERE as_of BETWEEN $first AND $last;

-- @statement delete_book
DELETE FROM book_marks WHERE as_of BETWEEN $first AND $last;

-- @statement delete_signals
DELETE FROM signal_values WHERE as_of BETWEEN $first AND $last;

-- @statement delete_states
DELETE FROM layer_states WHERE as_of BETWEEN $first AND $last;

-- @statement insert_book
INSERT INTO book_marks
SELECT as_of, spx, vix, rate, dividend_yield, cash, condor_value, hedge_value, value, delta,
       gamma, vega, theta, risk_capital, condor_vix_sensitivity, hedge_vix_sensitivity,
       vega_offset_ratio, liquidity_ratio, assumptions
FROM books;

-- @statement insert_signals
INSERT INTO signal_values
SELECT as_of, signal, value, threshold, active, available, detail, inputs
FROM signal_rows;

-- @statement insert_states
INSERT INTO layer_states
SELECT as_of, layer, state, reason, target, held, capped, cap_detail, parameters
FROM state_rows;
