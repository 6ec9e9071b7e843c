-- Orders and approvals (method §6.5).

-- @statement in_range
-- the orders a run of the days $first..$last reads or changes (alvh.hedge.order_state): the
-- days' own, and earlier days' still proposed or approved, which expire at the first run;
-- acted_on: someone has approved it (even partly), so a re-run of its day keeps it
SELECT o.order_id, o.as_of, o.layer, o.action, o.position_id, o.quantity, o.price, o.status,
       EXISTS (SELECT 1 FROM order_approvals AS a WHERE a.order_id = o.order_id) AS acted_on,
       o.cost
FROM orders AS o
WHERE o.as_of BETWEEN $first AND $last
   OR (o.status IN ('proposed', 'approved') AND o.as_of < $first)
ORDER BY o.order_id;

-- @statement call_layers
-- the layer of the order that opened each VIX call (imported calls have no order: L1)
SELECT p.position_id, o.layer
FROM positions AS p
JOIN orders AS o ON o.order_id = p.position_id
WHERE p.kind = 'vix_call';

-- @statement call_premiums
-- premium paid for each VIX call entered in the spend window of a day in $first..$last
-- (method §6.4), in the table's order
SELECT entry_date, entry_price * 100 * quantity AS premium
FROM positions
WHERE kind = 'vix_call' AND entry_date > $first - INTERVAL 365 DAY AND entry_date <= $last;

-- @statement delete_orders
DELETE FROM orders WHERE list_contains($ids, order_id);

-- @statement insert
-- the new orders, one list per column (one statement for any number of rows)
INSERT INTO orders (order_id, as_of, layer, action, instrument, strike, expiry, quantity, price,
                    cost, position_id, group_id, reason, status, created_at, decided_at)
SELECT unnest($order_id), unnest($as_of), unnest($layer), unnest($action), unnest($instrument),
       unnest($strike), unnest($expiry), unnest($quantity), unnest($price), unnest($cost),
       unnest($position_id), unnest($group_id), unnest($reason), unnest($status),
       unnest($created_at), unnest($decided_at);

-- @statement expire
UPDATE orders SET status = 'expired', decided_at = $decided_at
WHERE list_contains($ids, order_id);

-- @statement set_status
UPDATE orders SET status = $status, decided_at = $decided_at WHERE order_id = $order_id;

-- @statement executed
UPDATE orders SET status = 'executed', fill_price = $fill_price, decided_at = $decided_at
WHERE order_id = $order_id;

-- @statement list
WITH approvals AS (
    SELECT order_id, string_agg(approver, ', ' ORDER BY approved_at) AS approved_by,
           count(*) AS approvals
    FROM order_approvals
    GROUP BY order_id
),
final AS (
    SELECT o.order_id, o.as_of, o.layer, o.action, o.instrument, o.strike, o.expiry,
           o.quantity, o.price, o.cost, o.status, o.position_id, o.group_id, o.reason,
           coalesce(a.approvals, 0) AS approvals, a.approved_by, o.fill_price
    FROM orders AS o
    LEFT JOIN approvals AS a USING (order_id)
    WHERE $status IS NULL OR o.status = $status
)
SELECT * FROM final ORDER BY as_of DESC, layer, order_id;

-- @statement one
SELECT * FROM orders WHERE order_id = $order_id;

-- @statement approvers_of
SELECT approver FROM order_approvals WHERE order_id = $order_id;

-- @statement approve
INSERT INTO order_approvals (order_id, approver, approved_at, public_key, signature)
VALUES ($order_id, $approver, $approved_at, $public_key, $signature);

-- @statement signed_approvals
SELECT approver, public_key, signature FROM order_approvals
WHERE order_id = $order_id ORDER BY approved_at;
