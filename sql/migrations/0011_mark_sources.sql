-- 0011: what each stored mark was marked at (issue 11, item 2). On a day with option quotes a
-- leg with a two-sided quote is marked at mid, with its market implied vol and greeks; the
-- others keep the model's. The stored marks now say which, and keep the model's mark beside.
--
-- leg_marks: `price` and `vol` stay what the leg was marked at, so where mark_source = 'market'
-- they are the quote's mid and the market IV implied from it; `model_price` and `model_vol`
-- are the model's (method §2) on every row.
-- position_marks: mark_source is 'market' (every leg at market), 'model' (none) or 'mixed';
-- model_mark is the position's mark had every leg been priced by the model.
--
-- Rows stored before this migration were all marked by the model: they get 'model', and their
-- model columns equal the marked ones (model_price = price, model_vol = vol, model_mark =
-- mark). DuckDB cannot add a CHECK constraint, nor update a keyed table it has just altered in
-- the same transaction, so both tables are rebuilt with their rows (same columns, then these).

CREATE TABLE leg_marks_0011 (
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
    mark_source   VARCHAR NOT NULL CHECK (mark_source IN ('market', 'model')),
    model_price   DOUBLE NOT NULL,
    model_vol     DOUBLE NOT NULL,
    PRIMARY KEY (as_of, position_id, leg)
);

INSERT INTO leg_marks_0011 SELECT *, 'model', price, vol FROM leg_marks;
DROP TABLE leg_marks;
ALTER TABLE leg_marks_0011 RENAME TO leg_marks;

CREATE TABLE position_marks_0011 (
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
    mark_source      VARCHAR NOT NULL CHECK (mark_source IN ('market', 'model', 'mixed')),
    model_mark       DOUBLE NOT NULL,
    PRIMARY KEY (as_of, position_id)
);

INSERT INTO position_marks_0011 SELECT *, 'model', mark FROM position_marks;
DROP TABLE position_marks;
ALTER TABLE position_marks_0011 RENAME TO position_marks;
