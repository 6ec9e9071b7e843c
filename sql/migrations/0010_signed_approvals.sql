-- 0010: signed approvals (issue 15): the approver registry, signed changes to it, and the
-- detached Ed25519 signature of each approval of an order.

-- one row per registered approver key; public_key is the raw Ed25519 key, 64 hex digits
CREATE TABLE approver_keys (
    name        VARCHAR PRIMARY KEY,
    public_key  VARCHAR NOT NULL UNIQUE,
    added_at    TIMESTAMP NOT NULL
);

-- one row per requested change of the registry; registry is the digest of the set the change
-- applies to, so signatures for it cannot be replayed once the set has changed
CREATE TABLE approver_changes (
    change_id   VARCHAR PRIMARY KEY,
    action      VARCHAR NOT NULL CHECK (action IN ('add', 'remove')),
    name        VARCHAR NOT NULL,
    public_key  VARCHAR NOT NULL,
    registry    VARCHAR NOT NULL,
    status      VARCHAR NOT NULL CHECK (status IN ('pending', 'applied', 'superseded')),
    created_at  TIMESTAMP NOT NULL
);

-- one row per signature of a change by a registered approver
CREATE TABLE approver_change_signatures (
    change_id   VARCHAR NOT NULL,
    signer      VARCHAR NOT NULL,
    public_key  VARCHAR NOT NULL,
    signature   VARCHAR NOT NULL,
    signed_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (change_id, signer)
);

-- an approval of an order in signed mode carries the signer's key and the detached signature
-- over the order's canonical content (alvh.hedge.approvals.order_content)
ALTER TABLE order_approvals ADD COLUMN public_key VARCHAR;
ALTER TABLE order_approvals ADD COLUMN signature VARCHAR;
