-- Marks of the book per as_of: the cash ledger, settlements, and the day's stored rows.

-- @statement ledger
SELECT entry_date, amount FROM cash_ledger WHERE entry_date <= $as_of;

-- @statement unsettled
-- positions expired by $as_of (after their expiry day's close) with no settlement entry yet,
-- the quantity still open, and the expiry day's SPX and VIX open and close (alvh.book.marks
-- picks the settlement proxy of method §7 by root)
WITH closed AS (
    SELECT position_id, sum(quantity) AS closed_quantity
    FROM position_closes
    GROUP BY position_id
),
expired AS (
    SELECT p.position_id, p.kind, p.expiry,
           p.quantity - coalesce(c.closed_quantity, 0) AS open_quantity
    FROM positions AS p
    LEFT JOIN closed AS c USING (position_id)
    WHERE p.expiry <= $as_of
      AND NOT EXISTS (SELECT 1 FROM cash_ledger AS l
                      WHERE l.entry_id = 'settlement:' || p.position_id)
),
final AS (
    SELECT e.*, so.value AS spx_open, sc.value AS spx_close, vo.value AS vix_open,
           vc.value AS vix_close
    FROM expired AS e
    LEFT JOIN observations AS so ON so.series_id = 'SPX_OPEN' AND so.obs_date = e.expiry
    LEFT JOIN observations AS sc ON sc.series_id = 'SPX' AND sc.obs_date = e.expiry
    LEFT JOIN observations AS vo ON vo.series_id = 'VIX_OPEN' AND vo.obs_date = e.expiry
    LEFT JOIN observations AS vc ON vc.series_id = 'VIX' AND vc.obs_date = e.expiry
)
SELECT * FROM final WHERE open_quantity > 0 ORDER BY expiry, position_id;

-- @statement pending_premium
-- premium of each hedge order proposed or approved but not yet executed, as of $as_of, in the
-- order `alvh.book.marks.pending_total` sums them (a backfill sums its in-memory orders alike)
SELECT cost FROM orders
WHERE action = 'open' AND status IN ('proposed', 'approved') AND as_of <= $as_of
ORDER BY order_id;

-- @statement flows_between
-- cash flows dated in ($after, $until], by sleeve: a position's flows (premiums, closes,
-- settlements, fees) are its sleeve's, deposits and withdrawals come from outside the book
WITH tagged AS (
    SELECT l.amount,
           CASE
               WHEN p.position_id IS NULL THEN 'external'
               WHEN e.sleeve IS NOT NULL THEN e.sleeve
               WHEN p.kind = 'iron_condor' THEN 'condor'
               ELSE 'hedge'
           END AS sleeve
    FROM cash_ledger AS l
    LEFT JOIN positions AS p USING (position_id)
    LEFT JOIN position_entry AS e USING (position_id)
    WHERE l.entry_date > $after AND l.entry_date <= $until
)
SELECT sleeve, sum(amount) FROM tagged GROUP BY sleeve;

-- @statement sleeves
SELECT p.position_id, coalesce(e.sleeve, CASE WHEN p.kind = 'iron_condor' THEN 'condor'
                                              ELSE 'hedge' END)
FROM positions AS p
LEFT JOIN position_entry AS e USING (position_id);

-- @statement delete_legs
DELETE FROM leg_marks WHERE as_of = $as_of;

-- @statement delete_positions
DELETE FROM position_marks WHERE as_of = $as_of;

-- @statement delete_book
DELETE FROM book_marks WHERE as_of = $as_of;

-- @statement insert_settlements
INSERT INTO cash_ledger
SELECT entry_id, entry_date, amount, kind, position_id, note FROM settlements
WHERE entry_id NOT IN (SELECT entry_id FROM cash_ledger);

-- @statement insert_settlement_trades
-- an expiry settlement is a trade of the journal too (quantity settled, value per unit)
INSERT INTO book_trades (trade_id, trade_date, action, position_id, quantity, price, fees,
                         group_id, cash_entry_id, note, source, recorded_at)
SELECT 'settle:' || position_id, entry_date, 'settle', position_id, quantity, price, 0, NULL,
       entry_id, note, 'expiry', recorded_at
FROM settlements
WHERE 'settle:' || position_id NOT IN (SELECT trade_id FROM book_trades);

-- @statement insert_legs
-- price and vol: what the leg was marked at (mid and market IV where mark_source = 'market')
INSERT INTO leg_marks (as_of, position_id, leg, option_type, strike, expiry, units, underlying,
                       vol, price, delta, gamma, vega, theta, mark_source, model_price,
                       model_vol)
SELECT as_of, position_id, leg, option_type, strike, CAST(expiry AS DATE), units, underlying,
       vol, price, delta, gamma, vega, theta, mark_source, model_price, model_vol
FROM legs;

-- @statement insert_positions
INSERT INTO position_marks (as_of, position_id, kind, quantity, expiry, mark, value, pnl, delta,
                            gamma, vega, theta, vix_sensitivity, max_loss, breakeven_low,
                            breakeven_high, mark_source, model_mark)
SELECT as_of, position_id, kind, quantity, expiry, mark, value, pnl, delta, gamma, vega, theta,
       vix_sensitivity, max_loss, breakeven_low, breakeven_high, mark_source, model_mark
FROM marked;

-- @statement insert_book
INSERT INTO book_marks
VALUES ($as_of, $spx, $vix, $rate, $dividend_yield, $cash, $condor_value, $hedge_value, $value,
        $delta, $gamma, $vega, $theta, $risk_capital, $condor_vix_sensitivity,
        $hedge_vix_sensitivity, $vega_offset_ratio, $liquidity_ratio, $assumptions);
