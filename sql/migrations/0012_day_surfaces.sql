-- 0012: the §2.1 surface each day with stored SPX/SPXW quotes was priced with (issue 11). A
-- day with quotes gets its surface fitted to them (alvh.model.day_surface): status 'fitted',
-- with the fitted parameters, or 'refused' with the reason, the day then priced with the
-- defaults (`params` holds what was used). Days without quotes have no row: the defaults.
-- Re-marking a day replaces its row; `run_id` is the run that marked it.
CREATE TABLE day_surfaces (
    as_of                       DATE PRIMARY KEY,
    status                      VARCHAR NOT NULL CHECK (status IN ('fitted', 'refused')),
    sources                     VARCHAR NOT NULL,
    n_options                   INTEGER NOT NULL,
    n_slices                    INTEGER NOT NULL,
    n_condors                   INTEGER NOT NULL,
    params                      JSON NOT NULL,
    median_abs_iv_err_defaults  DOUBLE,
    median_abs_iv_err_fitted    DOUBLE,
    reason                      VARCHAR NOT NULL,
    run_id                      VARCHAR,
    recorded_at                 TIMESTAMP NOT NULL
);
