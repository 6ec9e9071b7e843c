-- 0009: the book as a desk keeps it (issue 12): positions as named groups of option legs, and
-- every change to the book a dated trade (open, close, partial close, roll, expiry settlement,
-- cash deposit or withdrawal).

-- positions: `kind` is recognised from the legs and no longer limited to two values. DuckDB
-- cannot drop a CHECK constraint, so the table is rebuilt with its rows (same columns).
CREATE TABLE positions_0009 (
    position_id       VARCHAR PRIMARY KEY,
    kind              VARCHAR NOT NULL,
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

INSERT INTO positions_0009 SELECT * FROM positions;
DROP TABLE positions;
ALTER TABLE positions_0009 RENAME TO positions;

-- what a position is beyond its kind: the side of its entry premium (a condor was opened for a
-- credit, a call for a debit) and its sleeve (SPX legs: condor sleeve; VIX legs: hedge sleeve).
-- A position with no row here is one of the original two kinds, read as the kind says.
CREATE TABLE position_entry (
    position_id   VARCHAR PRIMARY KEY,
    entry_side    VARCHAR NOT NULL CHECK (entry_side IN ('credit', 'debit')),
    sleeve        VARCHAR NOT NULL CHECK (sleeve IN ('condor', 'hedge'))
);

INSERT INTO position_entry
SELECT position_id,
       CASE WHEN kind = 'iron_condor' THEN 'credit' ELSE 'debit' END,
       CASE WHEN kind = 'iron_condor' THEN 'condor' ELSE 'hedge' END
FROM positions;

-- one row per leg of a position: `units` are signed contracts per unit of the position
-- (+ long, − short), so a position of quantity q holds q·units contracts of each leg
CREATE TABLE position_legs (
    position_id   VARCHAR NOT NULL,
    leg_no        INTEGER NOT NULL,
    leg           VARCHAR NOT NULL,
    root          VARCHAR NOT NULL CHECK (root IN ('SPX', 'SPXW', 'VIX')),
    option_type   VARCHAR NOT NULL CHECK (option_type IN ('C', 'P')),
    strike        DOUBLE NOT NULL CHECK (strike > 0),
    expiry        DATE NOT NULL,
    units         INTEGER NOT NULL CHECK (units <> 0),
    entry_price   DOUBLE,
    PRIMARY KEY (position_id, leg_no)
);

INSERT INTO position_legs
SELECT position_id, 1, 'long put', 'SPX', 'P', put_long, expiry, 1, NULL
FROM positions WHERE kind = 'iron_condor'
UNION ALL
SELECT position_id, 2, 'short put', 'SPX', 'P', put_short, expiry, -1, NULL
FROM positions WHERE kind = 'iron_condor'
UNION ALL
SELECT position_id, 3, 'short call', 'SPX', 'C', call_short, expiry, -1, NULL
FROM positions WHERE kind = 'iron_condor'
UNION ALL
SELECT position_id, 4, 'long call', 'SPX', 'C', call_long, expiry, 1, NULL
FROM positions WHERE kind = 'iron_condor';

INSERT INTO position_legs
SELECT position_id, 1, 'VIX call', 'VIX', 'C', strike, expiry, 1, NULL
FROM positions WHERE kind = 'vix_call';

-- one row per trade: the journal of every change to the book. `quantity` is in units of the
-- position; `price` is per unit in index points as the market quotes the structure (a credit
-- received or a debit paid, `entry_side` says which at the open); `fees` in dollars (method
-- §3.4); the cash effect is the cash_ledger entry `cash_entry_id` (NULL when there is none).
-- A roll is a close and an open sharing `group_id`.
CREATE TABLE book_trades (
    trade_id        VARCHAR PRIMARY KEY,
    trade_date      DATE NOT NULL,
    action          VARCHAR NOT NULL
                    CHECK (action IN ('open', 'close', 'settle', 'deposit', 'withdraw')),
    position_id     VARCHAR,
    quantity        INTEGER CHECK (quantity > 0),
    price           DOUBLE,
    fees            DOUBLE NOT NULL DEFAULT 0,
    group_id        VARCHAR,
    cash_entry_id   VARCHAR,
    note            VARCHAR,
    source          VARCHAR NOT NULL,
    recorded_at     TIMESTAMP NOT NULL
);

-- the history so far, as trades: opens (with their entry premium), closes, settlements,
-- deposits
INSERT INTO book_trades
SELECT 'open:' || p.position_id, p.entry_date, 'open', p.position_id, p.quantity,
       p.entry_price, 0, NULL,
       (SELECT max(entry_id) FROM cash_ledger AS l
        WHERE l.position_id = p.position_id AND l.entry_id IN ('premium:' || p.position_id,
                                                              'order:' || p.position_id)),
       'entry', p.source, current_timestamp
FROM positions AS p;

INSERT INTO book_trades
SELECT 'close:' || c.order_id, c.close_date, 'close', c.position_id, c.quantity, c.price,
       0, NULL,
       (SELECT max(entry_id) FROM cash_ledger AS l WHERE l.entry_id = 'order:' || c.order_id),
       'closed by order ' || c.order_id, 'order ' || c.order_id, current_timestamp
FROM position_closes AS c;

INSERT INTO book_trades
SELECT 'settle:' || l.position_id, l.entry_date, 'settle', l.position_id, NULL, NULL, 0, NULL,
       l.entry_id, l.note, 'expiry', current_timestamp
FROM cash_ledger AS l WHERE l.kind = 'settlement';

INSERT INTO book_trades
SELECT 'cash:' || l.entry_id, l.entry_date, CASE WHEN l.amount >= 0 THEN 'deposit' ELSE 'withdraw' END,
       NULL, NULL, NULL, 0, NULL, l.entry_id, l.note, 'cash', current_timestamp
FROM cash_ledger AS l WHERE l.kind IN ('deposit', 'withdrawal');
