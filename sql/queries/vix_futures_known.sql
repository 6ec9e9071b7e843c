-- VIX futures settlements per contract from $start to $as_of (settled at each day's close).
-- Bind parameters: $start (date), $as_of (date).
SELECT trade_date, contract_month, expiry, settle, open, close, volume, open_interest
FROM vix_futures
WHERE trade_date BETWEEN $start AND $as_of
ORDER BY trade_date, expiry;
