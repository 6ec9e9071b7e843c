-- The layers engine: hedge holdings by layer, premium spent, and the day's stored output.

-- @statement hedge_layers
-- the layer each VIX call belongs to: the layer of the order that opened it; imported calls
-- (no order) count as base protection, L1
SELECT p.position_id, coalesce(o.layer, 'L1') AS layer
FROM positions AS p
LEFT JOIN orders AS o ON o.order_id = p.position_id
WHERE p.kind = 'vix_call';

-- @statement spent_12m
-- premium paid for VIX calls entered in the 365 days up to $as_of, plus the day's approved
-- purchases not yet executed, which are committed (method §6.4); an earlier day's approved
-- order expires at this run (alvh.hedge.orders.expire_unexecuted) and commits nothing
WITH paid AS (
    SELECT entry_price * 100 * quantity AS premium
    FROM positions
    WHERE kind = 'vix_call' AND entry_date > $as_of - INTERVAL 365 DAY AND entry_date <= $as_of
),
committed AS (
    SELECT price * 100 * quantity AS premium
    FROM orders
    WHERE action = 'open' AND status = 'approved' AND as_of = $as_of
),
final AS (
    SELECT premium FROM paid UNION ALL SELECT premium FROM committed
)
SELECT coalesce(sum(premium), 0) FROM final;

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

-- @statement pending_opens
-- contracts in the day's approved purchase orders not yet executed: already on their way to
-- the book (an earlier day's order expires at this run: alvh.hedge.orders.expire_unexecuted)
SELECT layer, sum(quantity) FROM orders
WHERE action = 'open' AND status = 'approved' AND as_of = $as_of
GROUP BY layer;

-- @statement previous_vix
-- the VIX close of the last session before $as_of: the strike listing a day trades on is the
-- one Cboe had by that close (alvh.hedge.rulebook.listing_strike_cap)
SELECT value FROM observations
WHERE series_id = 'VIX' AND obs_date < $as_of AND known_date <= $as_of
ORDER BY obs_date DESC
LIMIT 1;

-- @statement pending_closes
-- contracts in the day's approved sales not yet executed, per position: already on their way
-- out of the book, so a re-run of the day neither counts them as held nor sells them again (an
-- earlier day's order expires at this run, and the day decides afresh)
SELECT position_id, sum(quantity) FROM orders
WHERE action = 'close' AND status = 'approved' AND as_of = $as_of AND position_id IS NOT NULL
GROUP BY position_id;
