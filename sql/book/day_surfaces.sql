-- The surface each quoted day was priced with (migration 0012; alvh.book.day_model).

-- @statement delete_day
DELETE FROM day_surfaces WHERE as_of = $as_of;

-- @statement insert_day
INSERT INTO day_surfaces
VALUES ($as_of, $status, $sources, $n_options, $n_slices, $n_condors, $params,
        $median_abs_iv_err_defaults, $median_abs_iv_err_fitted, $reason, $run_id, $recorded_at);

-- @statement delete_days
DELETE FROM day_surfaces WHERE as_of BETWEEN $first AND $last;

-- @statement insert_days
-- `surfaces`: rows in the table's column order, a backfill chunk's at once
INSERT INTO day_surfaces SELECT * FROM surfaces;

-- @statement stored_day
SELECT * FROM day_surfaces WHERE as_of = $as_of;
