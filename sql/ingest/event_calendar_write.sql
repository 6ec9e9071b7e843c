-- Write one event type's validated calendar rows (registered as `incoming`).
-- Bind parameters: $run_id.

-- @statement diff
WITH incoming_typed AS (
    SELECT event_type, CAST(event_date AS DATE) AS event_date,
           CAST(reference_month AS DATE) AS reference_month, unscheduled, status
    FROM incoming
)
SELECT count(*) FILTER (WHERE o.event_type IS NULL) AS new_rows,
       count(*) FILTER (WHERE o.reference_month IS DISTINCT FROM i.reference_month
                        OR o.unscheduled <> i.unscheduled OR o.status <> i.status) AS changed_rows
FROM incoming_typed AS i
LEFT JOIN event_calendar AS o USING (event_type, event_date);

-- @statement update
UPDATE event_calendar AS o
SET reference_month = CAST(i.reference_month AS DATE), unscheduled = i.unscheduled,
    status = i.status, source = i.source, ingest_run_id = $run_id
FROM incoming AS i
WHERE o.event_type = i.event_type
  AND o.event_date = CAST(i.event_date AS DATE)
  AND (o.reference_month IS DISTINCT FROM CAST(i.reference_month AS DATE)
       OR o.unscheduled <> i.unscheduled OR o.status <> i.status);

-- @statement insert
WITH incoming_typed AS (
    SELECT event_type, CAST(event_date AS DATE) AS event_date,
           CAST(reference_month AS DATE) AS reference_month, unscheduled, status, source
    FROM incoming
),
final AS (
    SELECT i.* FROM incoming_typed AS i
    ANTI JOIN event_calendar AS o USING (event_type, event_date)
)
INSERT INTO event_calendar
SELECT event_type, event_date, reference_month, unscheduled, status, source, $run_id
FROM final;
