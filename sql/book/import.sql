-- The book: importing positions and reading them back with their legs.

-- @statement record_import
INSERT INTO book_imports
VALUES ($import_id, $file, $imported_at, $status, $inserted, $unchanged, $rejected);

-- @statement record_rejects
INSERT INTO rejected_rows
SELECT $run_id, 'BOOK_IMPORT', $origin, line, column_name, rule, raw_value, message, $rejected_at
FROM rejects;

-- @statement open_positions
-- Positions open at the close of $as_of, with the quantity not yet closed by then. A position
-- opened on $as_of counts; one expiring on $as_of does not: SPX and VIX options settle on the
-- expiry morning's quotation, so by the close they are cash (alvh.marks settles them).
WITH closed AS (
    SELECT position_id, sum(quantity) AS closed_quantity
    FROM position_closes
    WHERE close_date <= $as_of
    GROUP BY position_id
),
final AS (
    SELECT p.position_id, p.kind, p.expiry,
           p.quantity - coalesce(c.closed_quantity, 0) AS quantity,
           p.entry_date, p.entry_price, p.put_long, p.put_short, p.call_short, p.call_long,
           p.strike, e.entry_side
    FROM positions AS p
    LEFT JOIN closed AS c USING (position_id)
    LEFT JOIN position_entry AS e USING (position_id)
    WHERE p.entry_date <= $as_of AND p.expiry > $as_of
)
SELECT * FROM final WHERE quantity > 0 ORDER BY kind, expiry, position_id;

-- @statement positions_by_id
-- stored positions among $ids, with their full quantity
SELECT p.position_id, p.kind, p.expiry, p.quantity, p.entry_date, p.entry_price, p.put_long,
       p.put_short, p.call_short, p.call_long, p.strike, e.entry_side
FROM positions AS p
LEFT JOIN position_entry AS e USING (position_id)
WHERE list_contains($ids, p.position_id)
ORDER BY p.position_id;

-- @statement legs_of
SELECT position_id, leg, root, option_type, strike, expiry, units, entry_price
FROM position_legs
WHERE list_contains($ids, position_id)
ORDER BY position_id, leg_no;

-- @statement deposit
-- a deposit by id, once (without a journal row: `alvh cash deposit` records both)
INSERT INTO cash_ledger
SELECT $entry_id, $entry_date, $amount, 'deposit', NULL, $note
WHERE NOT EXISTS (SELECT 1 FROM cash_ledger WHERE entry_id = $entry_id);
