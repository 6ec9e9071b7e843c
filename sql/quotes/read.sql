-- Reading stored quotes back.

-- @statement day
-- One day's quotes for the given roots, with how many days each option has to run.
WITH day_quotes AS (
    SELECT *
    FROM option_quotes
    WHERE as_of = $as_of AND list_contains($roots, root)
),
final AS (
    SELECT as_of, root, expiry, strike, option_type, bid, ask, underlying, zero_bid, quote_time,
           timing, source_file, import_id, date_diff('day', as_of, expiry) AS days_to_expiry
    FROM day_quotes
)
SELECT * FROM final
ORDER BY root, expiry, strike, option_type;

-- @statement days
-- The quote dates stored, with their rows and sources.
SELECT as_of, count(*) AS quotes, string_agg(DISTINCT root, ',' ORDER BY root) AS roots,
       string_agg(DISTINCT source_file, ', ' ORDER BY source_file) AS sources
FROM option_quotes
GROUP BY as_of
ORDER BY as_of;
