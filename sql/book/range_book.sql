-- The book over a range of days, read once (alvh/book/range_book.py): what
-- `open_positions` and `pending_settlements` read day by day.

-- @statement all_positions
-- every stored position with its full quantity (a backfill reads the book once for a range)
SELECT p.position_id, p.kind, p.expiry, p.quantity, p.entry_date, p.entry_price, p.put_long,
       p.put_short, p.call_short, p.call_long, p.strike, e.entry_side
FROM positions AS p
LEFT JOIN position_entry AS e USING (position_id)
ORDER BY p.kind, p.expiry, p.position_id;

-- @statement all_closes
-- every close with its date and quantity, in date order
SELECT position_id, close_date, quantity FROM position_closes ORDER BY close_date, position_id;

-- @statement settled
-- the settlement entries already in the ledger
SELECT entry_id FROM cash_ledger WHERE starts_with(entry_id, 'settlement:');

-- @statement expiry_levels
-- the SPX and VIX open and close of each position's expiry day (the settlement proxies)
SELECT p.position_id, so.value AS spx_open, sc.value AS spx_close, vo.value AS vix_open,
       vc.value AS vix_close
FROM positions AS p
LEFT JOIN observations AS so ON so.series_id = 'SPX_OPEN' AND so.obs_date = p.expiry
LEFT JOIN observations AS sc ON sc.series_id = 'SPX' AND sc.obs_date = p.expiry
LEFT JOIN observations AS vo ON vo.series_id = 'VIX_OPEN' AND vo.obs_date = p.expiry
LEFT JOIN observations AS vc ON vc.series_id = 'VIX' AND vc.obs_date = p.expiry;

-- @statement ledger
-- the whole cash ledger, in the table's order as the daily `ledger` statement of
-- sql/book/marks.sql reads it (the balance sums the amounts in that order)
SELECT entry_date, amount FROM cash_ledger;
