-- Observations of the requested series known by $as_of (no look-ahead: method §1).
-- Bind parameters: $series (list of ids), $as_of (date), $start (date).
WITH requested AS (
    SELECT series_id, obs_date, value, known_date
    FROM observations
    WHERE list_contains($series, series_id)
      AND known_date <= $as_of
      AND obs_date >= $start
),
final AS (
    SELECT series_id, obs_date, value, known_date FROM requested
)
SELECT * FROM final ORDER BY series_id, obs_date;
