-- The book: importing positions (registered as `incoming_positions`) and reading them back.

-- @statement conflicts
-- ids already in the book whose stored position differs from the file's
SELECT i.position_id
FROM incoming_positions AS i
JOIN positions AS p USING (position_id)
WHERE p.kind <> i.kind
   OR p.expiry <> CAST(i.expiry AS DATE)
   OR p.quantity <> i.quantity
   OR p.entry_date <> CAST(i.entry_date AS DATE)
   OR p.entry_price <> i.entry_price
   OR p.put_long IS DISTINCT FROM i.put_long
   OR p.put_short IS DISTINCT FROM i.put_short
   OR p.call_short IS DISTINCT FROM i.call_short
   OR p.call_long IS DISTINCT FROM i.call_long
   OR p.strike IS DISTINCT FROM i.strike
ORDER BY i.position_id;

-- @statement new_ids
SELECT i.position_id FROM incoming_positions AS i
ANTI JOIN positions AS p USING (position_id);

-- @statement insert_positions
WITH fresh AS (
    SELECT i.* FROM incoming_positions AS i
    ANTI JOIN positions AS p USING (position_id)
)
INSERT INTO positions (position_id, kind, expiry, quantity, entry_date, entry_price, put_long,
                       put_short, call_short, call_long, strike, source, import_id)
SELECT position_id, kind, CAST(expiry AS DATE), quantity, CAST(entry_date AS DATE), entry_price,
       put_long, put_short, call_short, call_long, strike, $source, $import_id
FROM fresh;

-- @statement insert_premiums
-- The entry premium moves cash: a condor's credit comes in, a VIX call's premium goes out.
INSERT INTO cash_ledger
SELECT 'premium:' || position_id, entry_date,
       CASE WHEN kind = 'iron_condor' THEN entry_price ELSE -entry_price END * 100 * quantity,
       CASE WHEN kind = 'iron_condor' THEN 'condor_credit' ELSE 'hedge_premium' END,
       position_id, 'entry premium, ' || quantity || ' × ' || entry_price || ' × 100'
FROM positions
WHERE import_id = $import_id;

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
           p.strike
    FROM positions AS p
    LEFT JOIN closed AS c USING (position_id)
    WHERE p.entry_date <= $as_of AND p.expiry > $as_of
)
SELECT * FROM final WHERE quantity > 0 ORDER BY kind, expiry, position_id;

-- @statement deposit
INSERT INTO cash_ledger
SELECT $entry_id, $entry_date, $amount, 'deposit', NULL, $note
WHERE NOT EXISTS (SELECT 1 FROM cash_ledger WHERE entry_id = $entry_id);
