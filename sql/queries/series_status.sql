-- One row per series (and the VIX futures table): coverage and the source of its latest value.
-- Bind parameters: none.
WITH observations_by_series AS (
    SELECT series_id, min(obs_date) AS first_date, max(obs_date) AS last_date, count(*) AS n_rows
    FROM observations
    GROUP BY series_id
),
latest_source AS (
    SELECT series_id, arg_max(source, obs_date) AS source
    FROM observations
    GROUP BY series_id
),
futures AS (
    SELECT 'VIX_FUTURES' AS series_id, min(trade_date) AS first_date, max(trade_date) AS last_date,
           count(*) AS n_rows, arg_max(source, trade_date) AS source, 'daily' AS frequency
    FROM vix_futures
    HAVING count(*) > 0
),
final AS (
    SELECT s.series_id, o.first_date, o.last_date, o.n_rows, l.source, s.frequency
    FROM series AS s
    JOIN observations_by_series AS o USING (series_id)
    JOIN latest_source AS l USING (series_id)
    UNION ALL
    SELECT series_id, first_date, last_date, n_rows, source, frequency FROM futures
)
SELECT * FROM final ORDER BY series_id;
