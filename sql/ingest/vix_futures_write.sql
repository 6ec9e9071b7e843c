-- Write validated VIX futures rows (registered as `incoming`) into `vix_futures`.
-- A changed settlement keeps its old value in observation_revisions, under the series id
-- 'VX <contract_month>'. Bind parameters: $run_id, $revised_at.

-- @statement diff
WITH incoming_typed AS (
    SELECT CAST(trade_date AS DATE) AS trade_date, contract_month, settle,
           CAST(expiry AS DATE) AS expiry
    FROM incoming
)
SELECT count(*) FILTER (WHERE o.contract_month IS NULL) AS new_rows,
       count(*) FILTER (WHERE o.settle <> i.settle OR o.expiry <> i.expiry) AS changed_rows
FROM incoming_typed AS i
LEFT JOIN vix_futures AS o USING (trade_date, contract_month);

-- @statement revisions
WITH incoming_typed AS (
    SELECT CAST(trade_date AS DATE) AS trade_date, contract_month, settle, source FROM incoming
),
final AS (
    SELECT 'VX ' || o.contract_month AS series_id, o.trade_date AS obs_date,
           o.settle AS old_value, i.settle AS new_value, o.source AS old_source,
           i.source AS new_source, o.ingest_run_id AS old_ingest_run_id
    FROM incoming_typed AS i
    JOIN vix_futures AS o USING (trade_date, contract_month)
    WHERE o.settle <> i.settle
)
INSERT INTO observation_revisions
SELECT series_id, obs_date, old_value, new_value, old_source, new_source, old_ingest_run_id,
       $run_id, $revised_at
FROM final;

-- @statement update
UPDATE vix_futures AS o
SET expiry = CAST(i.expiry AS DATE), open = i.open, high = i.high, low = i.low,
    close = i.close, settle = i.settle, volume = i.volume, open_interest = i.open_interest,
    source = i.source, ingest_run_id = $run_id
FROM incoming AS i
WHERE o.trade_date = CAST(i.trade_date AS DATE)
  AND o.contract_month = i.contract_month
  AND (o.settle <> i.settle OR o.expiry <> CAST(i.expiry AS DATE));

-- @statement insert
WITH incoming_typed AS (
    SELECT CAST(trade_date AS DATE) AS trade_date, contract_month, CAST(expiry AS DATE) AS expiry,
           open, high, low, close, settle, volume, open_interest, source
    FROM incoming
),
final AS (
    SELECT i.* FROM incoming_typed AS i
    ANTI JOIN vix_futures AS o USING (trade_date, contract_month)
)
INSERT INTO vix_futures
SELECT trade_date, contract_month, expiry, open, high, low, close, settle, volume,
       open_interest, source, $run_id
FROM final;
