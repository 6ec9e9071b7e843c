-- Write validated VIX futures rows (registered as `incoming`) into `vix_futures`.
-- A changed settlement keeps its old value in observation_revisions, under the series id
-- 'VX <contract_month>'. Bind parameters: $run_id, $revised_at.

-- @statement diff
-- A row is changed when any stored column differs (NULL-safe: a price a publisher adds or
-- withdraws counts too), so a corrected open, close or volume is written, not called unchanged.
WITH incoming_typed AS (
    SELECT CAST(trade_date AS DATE) AS trade_date, contract_month,
           CAST(expiry AS DATE) AS expiry, open, high, low, close, settle, volume, open_interest
    FROM incoming
)
SELECT count(*) FILTER (WHERE o.contract_month IS NULL) AS new_rows,
       count(*) FILTER (
           WHERE o.contract_month IS NOT NULL
             AND (o.settle IS DISTINCT FROM i.settle OR o.expiry IS DISTINCT FROM i.expiry
                  OR o.open IS DISTINCT FROM i.open OR o.high IS DISTINCT FROM i.high
                  OR o.low IS DISTINCT FROM i.low OR o.close IS DISTINCT FROM i.close
                  OR o.volume IS DISTINCT FROM i.volume
                  OR o.open_interest IS DISTINCT FROM i.open_interest)
       ) AS changed_rows
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
  AND (o.settle IS DISTINCT FROM i.settle OR o.expiry IS DISTINCT FROM CAST(i.expiry AS DATE)
       OR o.open IS DISTINCT FROM i.open OR o.high IS DISTINCT FROM i.high
       OR o.low IS DISTINCT FROM i.low OR o.close IS DISTINCT FROM i.close
       OR o.volume IS DISTINCT FROM i.volume OR o.open_interest IS DISTINCT FROM i.open_interest);

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
