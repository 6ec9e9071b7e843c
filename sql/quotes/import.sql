-- Writing one quote import: compare with what is stored, replace its partitions, record it.
-- `incoming` is the import's validated rows (registered by alvh.data.quotes.store).

-- @statement compare
-- What replacing the incoming (as_of, root) partitions does to each stored row.
WITH incoming_rows AS (
    SELECT * REPLACE (CAST(as_of AS DATE) AS as_of, CAST(expiry AS DATE) AS expiry)
    FROM incoming
),
partitions AS (
    SELECT DISTINCT as_of, root FROM incoming_rows
),
stored AS (
    SELECT q.*
    FROM option_quotes AS q
    JOIN partitions AS p USING (as_of, root)
),
matched AS (
    SELECT i.bid AS new_bid, i.ask AS new_ask, i.underlying AS new_underlying,
           s.bid AS old_bid, s.ask AS old_ask, s.underlying AS old_underlying,
           s.as_of IS NOT NULL AS was_stored
    FROM incoming_rows AS i
    LEFT JOIN stored AS s USING (as_of, root, expiry, strike, option_type)
),
final AS (
    SELECT
        count(*) FILTER (WHERE NOT was_stored) AS inserted,
        count(*) FILTER (
            WHERE was_stored AND (new_bid <> old_bid OR new_ask <> old_ask
                                  OR new_underlying IS DISTINCT FROM old_underlying)
        ) AS updated,
        count(*) FILTER (
            WHERE was_stored AND new_bid = old_bid AND new_ask = old_ask
                  AND new_underlying IS NOT DISTINCT FROM old_underlying
        ) AS unchanged,
        (SELECT count(*) FROM stored) - count(*) FILTER (WHERE was_stored) AS removed
    FROM matched
)
SELECT inserted, updated, unchanged, removed FROM final;

-- @statement delete_partitions
DELETE FROM option_quotes AS q
WHERE EXISTS (
    SELECT 1
    FROM (SELECT DISTINCT CAST(as_of AS DATE) AS as_of, root FROM incoming) AS i
    WHERE i.as_of = q.as_of AND i.root = q.root
);

-- @statement insert
INSERT INTO option_quotes
    (as_of, root, expiry, strike, option_type, bid, ask, underlying, zero_bid, quote_time,
     timing, source_file, import_id)
SELECT CAST(as_of AS DATE), root, CAST(expiry AS DATE), strike, option_type, bid, ask,
       underlying, zero_bid, quote_time, $timing, $source_file, $import_id
FROM incoming;

-- @statement record_import
INSERT INTO quote_imports
    (import_id, imported_at, origin, file_name, content_hash, format, timing, quote_time,
     first_as_of, last_as_of, rows_read, inserted, updated, unchanged, removed, rejected,
     zero_bid, duration_seconds)
VALUES ($import_id, $imported_at, $origin, $file_name, $content_hash, $format, $timing,
        $quote_time, $first_as_of, $last_as_of, $rows_read, $inserted, $updated, $unchanged,
        $removed, $rejected, $zero_bid, $duration);

-- @statement rejects
INSERT INTO rejected_rows
SELECT $import_id, 'OPTION_QUOTES', $origin, line, column_name, rule, raw_value, message,
       $rejected_at
FROM rejects;
