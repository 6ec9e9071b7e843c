-- 0002: the condor book (method §3): positions, the cash account, imports, daily marks.

-- one row per position: an iron condor or a VIX call (method §3.1, §3.2)
CREATE TABLE positions (
    position_id       VARCHAR PRIMARY KEY,
    kind              VARCHAR NOT NULL CHECK (kind IN ('iron_condor', 'vix_call')),
    expiry            DATE NOT NULL,
    quantity          INTEGER NOT NULL CHECK (quantity > 0),
    entry_date        DATE NOT NULL,
    entry_price       DOUBLE NOT NULL,
    put_long          DOUBLE,
    put_short         DOUBLE,
    call_short        DOUBLE,
    call_long         DOUBLE,
    strike            DOUBLE,
    source            VARCHAR NOT NULL,
    import_id         VARCHAR NOT NULL
);

-- one row per import attempt of a book file (refused files included)
CREATE TABLE book_imports (
    import_id     VARCHAR PRIMARY KEY,
    file          VARCHAR NOT NULL,
    imported_at   TIMESTAMP NOT NULL,
    status        VARCHAR NOT NULL,
    inserted      INTEGER NOT NULL,
    unchanged     INTEGER NOT NULL,
    rejected      INTEGER NOT NULL
);

-- one row per movement of the cash account (method §3.3): deposits, premiums, fees, settlements
CREATE TABLE cash_ledger (
    entry_id      VARCHAR PRIMARY KEY,
    entry_date    DATE NOT NULL,
    amount        DOUBLE NOT NULL,
    kind          VARCHAR NOT NULL,
    position_id   VARCHAR,
    note          VARCHAR
);

-- one row per as_of and leg: the model's price and per-unit greeks (method §2, §4.1)
CREATE TABLE leg_marks (
    as_of         DATE NOT NULL,
    position_id   VARCHAR NOT NULL,
    leg           VARCHAR NOT NULL,
    option_type   VARCHAR NOT NULL,
    strike        DOUBLE NOT NULL,
    expiry        DATE NOT NULL,
    units         INTEGER NOT NULL,
    underlying    DOUBLE NOT NULL,
    vol           DOUBLE NOT NULL,
    price         DOUBLE NOT NULL,
    delta         DOUBLE NOT NULL,
    gamma         DOUBLE NOT NULL,
    vega          DOUBLE NOT NULL,
    theta         DOUBLE NOT NULL,
    PRIMARY KEY (as_of, position_id, leg)
);

-- one row per as_of and position: mark, P&L and dollar greeks (interface.md `book show`)
CREATE TABLE position_marks (
    as_of            DATE NOT NULL,
    position_id      VARCHAR NOT NULL,
    kind             VARCHAR NOT NULL,
    quantity         INTEGER NOT NULL,
    expiry           DATE NOT NULL,
    mark             DOUBLE NOT NULL,
    value            DOUBLE NOT NULL,
    pnl              DOUBLE NOT NULL,
    delta            DOUBLE NOT NULL,
    gamma            DOUBLE NOT NULL,
    vega             DOUBLE NOT NULL,
    theta            DOUBLE NOT NULL,
    vix_sensitivity  DOUBLE NOT NULL,
    max_loss         DOUBLE,
    breakeven_low    DOUBLE,
    breakeven_high   DOUBLE,
    PRIMARY KEY (as_of, position_id)
);

-- one row per as_of: book totals (method §4)
CREATE TABLE book_marks (
    as_of                   DATE PRIMARY KEY,
    spx                     DOUBLE NOT NULL,
    vix                     DOUBLE NOT NULL,
    rate                    DOUBLE NOT NULL,
    dividend_yield          DOUBLE NOT NULL,
    cash                    DOUBLE NOT NULL,
    condor_value            DOUBLE NOT NULL,
    hedge_value             DOUBLE NOT NULL,
    value                   DOUBLE NOT NULL,
    delta                   DOUBLE NOT NULL,
    gamma                   DOUBLE NOT NULL,
    vega                    DOUBLE NOT NULL,
    theta                   DOUBLE NOT NULL,
    risk_capital            DOUBLE NOT NULL,
    condor_vix_sensitivity  DOUBLE NOT NULL,
    hedge_vix_sensitivity   DOUBLE NOT NULL,
    vega_offset_ratio       DOUBLE,
    liquidity_ratio         DOUBLE,
    assumptions             VARCHAR NOT NULL
);
