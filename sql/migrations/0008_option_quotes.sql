-- 0008: real option quotes (issue 11): one row per option and quote date, with the import that
-- wrote it. A file replaces the (as_of, root) partitions it holds, so importing it again
-- changes nothing and a newer download of the same day replaces the older one.

-- one row per quote import run: which file, what its header said, what it wrote
CREATE TABLE quote_imports (
    import_id         VARCHAR PRIMARY KEY,
    imported_at       TIMESTAMP NOT NULL,
    origin            VARCHAR NOT NULL,
    file_name         VARCHAR NOT NULL,
    content_hash      VARCHAR NOT NULL,
    format            VARCHAR NOT NULL,
    timing            VARCHAR NOT NULL CHECK (timing IN ('close', 'intraday', 'overnight')),
    quote_time        TIMESTAMP,
    first_as_of       DATE,
    last_as_of        DATE,
    rows_read         BIGINT NOT NULL,
    inserted          BIGINT NOT NULL DEFAULT 0,
    updated           BIGINT NOT NULL DEFAULT 0,
    unchanged         BIGINT NOT NULL DEFAULT 0,
    removed           BIGINT NOT NULL DEFAULT 0,
    rejected          BIGINT NOT NULL DEFAULT 0,
    zero_bid          BIGINT NOT NULL DEFAULT 0,
    duration_seconds  DOUBLE
);

-- one row per option (root, expiry, strike, type) and quote date; prices per unit in points
CREATE TABLE option_quotes (
    as_of        DATE NOT NULL,
    root         VARCHAR NOT NULL,
    expiry       DATE NOT NULL,
    strike       DOUBLE NOT NULL,
    option_type  VARCHAR NOT NULL CHECK (option_type IN ('C', 'P')),
    bid          DOUBLE NOT NULL CHECK (bid >= 0),
    ask          DOUBLE NOT NULL CHECK (ask >= 0),
    underlying   DOUBLE,
    zero_bid     BOOLEAN NOT NULL,
    quote_time   TIMESTAMP,
    timing       VARCHAR NOT NULL CHECK (timing IN ('close', 'intraday', 'overnight')),
    source_file  VARCHAR NOT NULL,
    import_id    VARCHAR NOT NULL,
    PRIMARY KEY (as_of, root, expiry, strike, option_type)
);
