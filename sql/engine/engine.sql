-- The layers engine: hedge holdings by layer, premium spent, and the day's stored output.

-- @statement delete_signals
DELETE FROM signal_values WHERE as_of = $as_of;

-- @statement delete_states
DELETE FROM layer_states WHERE as_of = $as_of;

-- @statement insert_signal
INSERT INTO signal_values
VALUES ($as_of, $signal, $value, $threshold, $active, $available, $detail, $inputs);

-- @statement insert_state
INSERT INTO layer_states
VALUES ($as_of, $layer, $state, $reason, $target, $held, $capped, $cap_detail, $parameters);

-- @statement vix_closes
-- VIX closes with the day each became known, for the close of the last session before a day
-- as known at that day (alvh.hedge.vix_closes): the strike listing a day trades on is the one
-- Cboe had by that close (alvh.hedge.rulebook.listing_strike_cap)
SELECT obs_date, known_date, value FROM observations
WHERE series_id = 'VIX' AND obs_date < $last
ORDER BY obs_date;
