-- Write one series' validated rows (registered as `incoming`) into `observations`.
-- Statements run in order inside one transaction by alvh.ingest (`diff` first, so
-- unchanged data costs one query):
--   1. keep the old value of every row whose value changed (revisions),
--   2. update changed rows (value, or the date it became known),
--   3. insert new rows.
-- Bind parameters: $run_id, $revised_at.

-- @statement diff
WITH incoming_typed AS (
    SELECT series_id, CAST(obs_date AS DATE) AS obs_date, value,
           CAST(known_date AS DATE) AS known_date
    FROM incoming
)
SELECT count(*) FILTER (WHERE o.series_id IS NULL) AS new_rows,
       count(*) FILTER (WHERE o.value <> i.value OR o.known_date <> i.known_date) AS changed_rows
FROM incoming_typed AS i
LEFT JOIN observations AS o USING (series_id, obs_date);

-- @statement revisions
WITH incoming_typed AS (
    SELECT series_id, CAST(obs_date AS DATE) AS obs_date, value, source FROM incoming
),
final AS (
    SELECT o.series_id, o.obs_date, o.value AS old_value, i.value AS new_value,
           o.source AS old_source, i.source AS new_source, o.ingest_run_id AS old_ingest_run_id
    FROM incoming_typed AS i
    JOIN observations AS o USING (series_id, obs_date)
    WHERE o.value <> i.value
)
INSERT INTO observation_revisions
SELECT series_id, obs_date, old_value, new_value, old_source, new_source, old_ingest_run_id,
       $run_id, $revised_at
FROM final;

-- @statement update
UPDATE observations AS o
SET value = i.value, known_date = CAST(i.known_date AS DATE), source = i.source,
    ingest_run_id = $run_id
FROM incoming AS i
WHERE o.series_id = i.series_id
  AND o.obs_date = CAST(i.obs_date AS DATE)
  AND (o.value <> i.value OR o.known_date <> CAST(i.known_date AS DATE));

-- @statement insert
WITH incoming_typed AS (
    SELECT series_id, CAST(obs_date AS DATE) AS obs_date, value,
           CAST(known_date AS DATE) AS known_date, source
    FROM incoming
),
final AS (
    SELECT i.* FROM incoming_typed AS i
    ANTI JOIN observations AS o USING (series_id, obs_date)
)
INSERT INTO observations
SELECT series_id, obs_date, value, known_date, source, $run_id FROM final;
