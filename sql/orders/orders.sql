-- Orders and approvals (method §6.5).

-- @statement decided_ids
-- orders of $as_of that someone has acted on: a re-run keeps them
SELECT o.order_id FROM orders AS o
WHERE o.as_of = $as_of
  AND (o.status <> 'proposed'
       OR EXISTS (SELECT 1 FROM order_approvals AS a WHERE a.order_id = o.order_id));

-- @statement delete_untouched
DELETE FROM orders AS o
WHERE o.as_of = $as_of AND o.status = 'proposed'
  AND NOT EXISTS (SELECT 1 FROM order_approvals AS a WHERE a.order_id = o.order_id);

-- @statement insert
INSERT INTO orders (order_id, as_of, layer, action, instrument, strike, expiry, quantity, price,
                    cost, position_id, group_id, reason, status, created_at)
VALUES ($order_id, $as_of, $layer, $action, $instrument, $strike, $expiry, $quantity, $price,
        $cost, $position_id, $group_id, $reason, 'proposed', $created_at);

-- @statement unexecuted_before
-- an order is for its own day: proposed or approved, not executed by the next run, it expires
SELECT order_id, status FROM orders
WHERE status IN ('proposed', 'approved') AND as_of < $as_of
ORDER BY order_id;

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
