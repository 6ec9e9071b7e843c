-- 0001: the warehouse of public market and macro data (foundation issue, item 3).
-- Grain of each table is in its name's comment; every write names the ingest run that made it.

-- one row per series the product knows: what it is and who publishes it
CREATE TABLE series (
    series_id    VARCHAR PRIMARY KEY,
    description  VARCHAR NOT NULL,
    unit         VARCHAR NOT NULL,
    frequency    VARCHAR NOT NULL CHECK (frequency IN ('daily', 'monthly')),
    publisher    VARCHAR NOT NULL,
    source_url   VARCHAR NOT NULL,
    low          DOUBLE NOT NULL,
    high         DOUBLE NOT NULL,
    known_rule   VARCHAR NOT NULL
);

-- one row per ingest run
CREATE TABLE ingest_runs (
    run_id            VARCHAR PRIMARY KEY,
    started_at        TIMESTAMP NOT NULL,
    finished_at       TIMESTAMP,
    as_of             DATE NOT NULL,
    source_mode       VARCHAR NOT NULL,
    status            VARCHAR NOT NULL,
    inserted          BIGINT NOT NULL DEFAULT 0,
    updated           BIGINT NOT NULL DEFAULT 0,
    unchanged         BIGINT NOT NULL DEFAULT 0,
    rejected          BIGINT NOT NULL DEFAULT 0,
    duration_seconds  DOUBLE
);

-- one row per run and item (a series, the futures table or an event calendar)
CREATE TABLE ingest_run_items (
    run_id            VARCHAR NOT NULL,
    item              VARCHAR NOT NULL,
    source            VARCHAR NOT NULL,
    origin            VARCHAR NOT NULL,
    status            VARCHAR NOT NULL,
    note              VARCHAR,
    inserted          BIGINT NOT NULL DEFAULT 0,
    updated           BIGINT NOT NULL DEFAULT 0,
    unchanged         BIGINT NOT NULL DEFAULT 0,
    rejected          BIGINT NOT NULL DEFAULT 0,
    missing           BIGINT NOT NULL DEFAULT 0,
    withheld          BIGINT NOT NULL DEFAULT 0,
    duration_seconds  DOUBLE,
    PRIMARY KEY (run_id, item)
);

-- one row per series and observation date: the current value and when it became known
CREATE TABLE observations (
    series_id      VARCHAR NOT NULL,
    obs_date       DATE NOT NULL,
    value          DOUBLE NOT NULL,
    known_date     DATE NOT NULL,
    source         VARCHAR NOT NULL,
    ingest_run_id  VARCHAR NOT NULL,
    PRIMARY KEY (series_id, obs_date)
);

-- one row per changed value: what was stored before a re-ingest replaced it
CREATE TABLE observation_revisions (
    series_id          VARCHAR NOT NULL,
    obs_date           DATE NOT NULL,
    old_value          DOUBLE NOT NULL,
    new_value          DOUBLE NOT NULL,
    old_source         VARCHAR NOT NULL,
    new_source         VARCHAR NOT NULL,
    old_ingest_run_id  VARCHAR NOT NULL,
    revised_by_run_id  VARCHAR NOT NULL,
    revised_at         TIMESTAMP NOT NULL
);

-- one row per VIX futures contract and trade date (CFE settlements)
CREATE TABLE vix_futures (
    trade_date      DATE NOT NULL,
    contract_month  VARCHAR NOT NULL,
    expiry          DATE NOT NULL,
    open            DOUBLE,
    high            DOUBLE,
    low             DOUBLE,
    close           DOUBLE,
    settle          DOUBLE NOT NULL,
    volume          BIGINT,
    open_interest   BIGINT,
    source          VARCHAR NOT NULL,
    ingest_run_id   VARCHAR NOT NULL,
    PRIMARY KEY (trade_date, contract_month)
);

-- one row per scheduled or past event: FOMC decisions, CPI and PPI releases
CREATE TABLE event_calendar (
    event_type       VARCHAR NOT NULL CHECK (event_type IN ('FOMC', 'CPI', 'PPI')),
    event_date       DATE NOT NULL,
    reference_month  DATE,
    unscheduled      BOOLEAN NOT NULL DEFAULT FALSE,
    status           VARCHAR NOT NULL,
    source           VARCHAR NOT NULL,
    ingest_run_id    VARCHAR NOT NULL,
    PRIMARY KEY (event_type, event_date)
);

-- one row per rejected input row (line NULL when the whole file failed)
CREATE TABLE rejected_rows (
    run_id       VARCHAR NOT NULL,
    item         VARCHAR NOT NULL,
    origin       VARCHAR NOT NULL,
    line         BIGINT,
    column_name  VARCHAR,
    rule         VARCHAR NOT NULL,
    raw_value    VARCHAR,
    message      VARCHAR NOT NULL,
    rejected_at  TIMESTAMP NOT NULL
);
