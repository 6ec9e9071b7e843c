-- The book's journal (issue 12): every change to the book is a dated trade with its cash.

-- @statement insert_position
INSERT INTO positions (position_id, kind, expiry, quantity, entry_date, entry_price, put_long,
                       put_short, call_short, call_long, strike, source, import_id)
VALUES ($position_id, $kind, $expiry, $quantity, $entry_date, $entry_price, $put_long,
        $put_short, $call_short, $call_long, $strike, $source, $import_id);

-- @statement insert_entry
INSERT INTO position_entry (position_id, entry_side, sleeve)
VALUES ($position_id, $entry_side, $sleeve);

-- @statement insert_leg
INSERT INTO position_legs (position_id, leg_no, leg, root, option_type, strike, expiry, units,
                           entry_price)
VALUES ($position_id, $leg_no, $leg, $root, $option_type, $strike, $expiry, $units,
        $entry_price);

-- @statement insert_cash
INSERT INTO cash_ledger (entry_id, entry_date, amount, kind, position_id, note)
VALUES ($entry_id, $entry_date, $amount, $kind, $position_id, $note);

-- @statement insert_trade
INSERT INTO book_trades (trade_id, trade_date, action, position_id, quantity, price, fees,
                         group_id, cash_entry_id, note, source, recorded_at)
VALUES ($trade_id, $trade_date, $action, $position_id, $quantity, $price, $fees, $group_id,
        $cash_entry_id, $note, $source, $recorded_at);

-- @statement insert_close
-- the open quantity of a position on a date is its quantity less what was closed by then
INSERT INTO position_closes (order_id, position_id, close_date, quantity, price)
VALUES ($trade_id, $position_id, $close_date, $quantity, $price);
