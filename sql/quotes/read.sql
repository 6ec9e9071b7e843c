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

-- @statement leg_quotes
-- Two-sided quotes of the given legs (`wanted`: leg, roots in order of preference, expiry,
-- strike, option_type) on one day: the first root that quotes each leg.
WITH wanted_legs AS (
    SELECT * FROM wanted
),
candidates AS (
    SELECT w.leg, w.preference, q.root, q.bid, q.ask
    FROM wanted_legs AS w
    JOIN option_quotes AS q
      ON q.as_of = $as_of AND q.root = w.root AND q.expiry = CAST(w.expiry AS DATE)
     AND q.strike = w.strike AND q.option_type = w.option_type
    WHERE q.bid > 0 AND q.ask >= q.bid
),
final AS (
    SELECT leg, root, bid, ask
    FROM candidates
    QUALIFY row_number() OVER (PARTITION BY leg ORDER BY preference) = 1
)
SELECT * FROM final;

-- @statement has_quotes
SELECT count(*) FROM duckdb_tables() WHERE table_name = 'option_quotes';

-- @statement quote_days
-- every date with a stored quote (a backfill looks quotes up only on those days)
SELECT DISTINCT as_of FROM option_quotes;

-- @statement count_day
SELECT count(*) FROM option_quotes WHERE as_of = $as_of;
