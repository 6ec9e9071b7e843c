-- 0004: the engine's output per as_of (method §5, §6) and the approvals workflow (§6.5).

-- one row per as_of and signal
CREATE TABLE signal_values (
    as_of       DATE NOT NULL,
    signal      VARCHAR NOT NULL,
    value       DOUBLE,
    threshold   DOUBLE,
    active      BOOLEAN NOT NULL,
    available   BOOLEAN NOT NULL,
    detail      VARCHAR NOT NULL,
    inputs      VARCHAR NOT NULL,
    PRIMARY KEY (as_of, signal)
);

-- one row per as_of and layer
CREATE TABLE layer_states (
    as_of             DATE NOT NULL,
    layer             VARCHAR NOT NULL,
    state             VARCHAR NOT NULL CHECK (state IN ('OFF', 'ARMED', 'ACTIVE')),
    reason            VARCHAR NOT NULL,
    target_contracts  INTEGER NOT NULL CHECK (target_contracts >= 0),
    held_contracts    INTEGER NOT NULL CHECK (held_contracts >= 0),
    capped            BOOLEAN NOT NULL,
    cap_detail        VARCHAR,
    parameters        VARCHAR NOT NULL,
    PRIMARY KEY (as_of, layer)
);

-- one row per proposed order; its status moves proposed → approved → executed, or → expired
CREATE TABLE orders (
    order_id      VARCHAR PRIMARY KEY,
    as_of         DATE NOT NULL,
    layer         VARCHAR NOT NULL,
    action        VARCHAR NOT NULL CHECK (action IN ('open', 'close')),
    instrument    VARCHAR NOT NULL,
    strike        DOUBLE NOT NULL,
    expiry        DATE NOT NULL,
    quantity      INTEGER NOT NULL CHECK (quantity > 0),
    price         DOUBLE NOT NULL,
    cost          DOUBLE NOT NULL,
    position_id   VARCHAR,
    group_id      VARCHAR,
    reason        VARCHAR NOT NULL,
    status        VARCHAR NOT NULL
                  CHECK (status IN ('proposed', 'approved', 'executed', 'expired')),
    created_at    TIMESTAMP NOT NULL,
    decided_at    TIMESTAMP,
    fill_price    DOUBLE
);

-- one row per approval; an approver counts once per order
CREATE TABLE order_approvals (
    order_id     VARCHAR NOT NULL,
    approver     VARCHAR NOT NULL,
    approved_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (order_id, approver)
);

-- one row per (partial) close of a position by an executed close order; the open quantity of a
-- position on a date is its quantity less what was closed by then
CREATE TABLE position_closes (
    order_id     VARCHAR PRIMARY KEY,
    position_id  VARCHAR NOT NULL,
    close_date   DATE NOT NULL,
    quantity     INTEGER NOT NULL CHECK (quantity > 0),
    price        DOUBLE NOT NULL
);
