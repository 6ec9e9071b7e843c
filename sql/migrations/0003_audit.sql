-- 0003: the audit history: an append-only, hash-chained log and one row per pipeline run.

-- one row per event, in order; each row's hash covers its content and the previous row's hash
CREATE TABLE audit_log (
    seq         BIGINT PRIMARY KEY,
    recorded_at TIMESTAMP NOT NULL,
    as_of       DATE,
    actor       VARCHAR NOT NULL,
    event       VARCHAR NOT NULL,
    subject     VARCHAR,
    details     VARCHAR NOT NULL,
    prev_hash   VARCHAR NOT NULL,
    hash        VARCHAR NOT NULL
);

-- one row per run of the daily pipeline (or a step of it run on its own)
CREATE TABLE pipeline_runs (
    run_id            VARCHAR PRIMARY KEY,
    flow_run_id       VARCHAR,
    as_of             DATE NOT NULL,
    started_at        TIMESTAMP NOT NULL,
    finished_at       TIMESTAMP,
    status            VARCHAR NOT NULL,
    package_version   VARCHAR NOT NULL,
    git_commit        VARCHAR,
    config_hash       VARCHAR NOT NULL,
    input_hash        VARCHAR,
    step_timings      VARCHAR,
    row_counts        VARCHAR,
    message           VARCHAR,
    audit_head_seq    BIGINT,
    audit_head_hash   VARCHAR
);
