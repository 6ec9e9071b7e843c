-- The book's trades (issue 12): closes, rolls, cash, the journal, a reset.

-- @statement closed_quantity
-- units of a position closed by trades dated on or before $on, and by all its trades
SELECT coalesce(sum(quantity) FILTER (WHERE close_date <= $on), 0) AS closed_by,
       coalesce(sum(quantity), 0) AS closed_all
FROM position_closes
WHERE position_id = $position_id;

-- @statement delete_settlement_trade
DELETE FROM book_trades WHERE trade_id = 'settle:' || $position_id;

-- @statement delete_settlement_cash
DELETE FROM cash_ledger WHERE entry_id = 'settlement:' || $position_id;

-- @statement list
-- the journal, oldest first, with each trade's cash
WITH final AS (
    SELECT t.trade_date, t.trade_id, t.action, t.position_id, p.kind, t.quantity, t.price,
           t.fees, l.amount AS cash, t.group_id, t.note, t.source
    FROM book_trades AS t
    LEFT JOIN cash_ledger AS l ON l.entry_id = t.cash_entry_id
    LEFT JOIN positions AS p ON p.position_id = t.position_id
)
SELECT * FROM final
ORDER BY trade_date, CASE action WHEN 'deposit' THEN 0 WHEN 'open' THEN 1 WHEN 'close' THEN 2
                                 WHEN 'settle' THEN 3 ELSE 4 END, trade_id;

-- @statement marked_days_from
SELECT as_of FROM book_marks WHERE as_of >= $on ORDER BY as_of;

-- @statement book_counts
SELECT 'positions', count(*) FROM positions
UNION ALL SELECT 'trades', count(*) FROM book_trades
UNION ALL SELECT 'cash_entries', count(*) FROM cash_ledger
UNION ALL SELECT 'marked_days', count(*) FROM book_marks;

-- @statement reset_legs
DELETE FROM position_legs;

-- @statement reset_entries
DELETE FROM position_entry;

-- @statement reset_closes
DELETE FROM position_closes;

-- @statement reset_trades
DELETE FROM book_trades;

-- @statement reset_cash
DELETE FROM cash_ledger;

-- @statement reset_positions
DELETE FROM positions;

-- @statement reset_leg_marks
DELETE FROM leg_marks;

-- @statement reset_position_marks
DELETE FROM position_marks;

-- @statement reset_book_marks
DELETE FROM book_marks;
