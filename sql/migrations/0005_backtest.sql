-- 0005: backtest results (method §7). One run = one configuration (preset, variants, dates,
-- every parameter); its run_id is a fingerprint of that configuration, so running it again
-- replaces its rows (alvh.backtest.store).

-- one row per run configuration
CREATE TABLE backtest_runs (
    run_id        VARCHAR PRIMARY KEY,
    preset        VARCHAR NOT NULL,
    variants      VARCHAR NOT NULL,
    start_date    DATE NOT NULL,
    end_date      DATE NOT NULL,
    config        VARCHAR NOT NULL,
    summary       VARCHAR NOT NULL,
    claim_variant VARCHAR,
    claim_median  DOUBLE,
    claim_verdict VARCHAR,
    created_at    TIMESTAMP NOT NULL
);

-- one row per run and variant
CREATE TABLE backtest_metrics (
    run_id               VARCHAR NOT NULL,
    variant              VARCHAR NOT NULL,
    cagr                 DOUBLE,
    vol                  DOUBLE,
    sharpe               DOUBLE,
    sortino              DOUBLE,
    max_drawdown         DOUBLE,
    max_drawdown_start   DATE,
    max_drawdown_end     DATE,
    calmar               DOUBLE,
    worst_month          VARCHAR,
    worst_month_return   DOUBLE,
    hedge_cost_per_year  DOUBLE,
    premium_decay        DOUBLE,
    futures_roll_down    DOUBLE,
    spread_cost          DOUBLE,
    vix_move_payoff      DOUBLE,
    premium_per_year     DOUBLE,
    final_equity         DOUBLE,
    PRIMARY KEY (run_id, variant)
);

-- one row per run, variant and trading day (equity.csv)
CREATE TABLE backtest_equity (
    run_id      VARCHAR NOT NULL,
    variant     VARCHAR NOT NULL,
    date        DATE NOT NULL,
    equity      DOUBLE NOT NULL,
    drawdown    DOUBLE NOT NULL,
    condor_pnl  DOUBLE NOT NULL,
    hedge_pnl   DOUBLE NOT NULL,
    cash        DOUBLE NOT NULL,
    PRIMARY KEY (run_id, variant, date)
);

-- one row per run, event and variant (events.csv)
CREATE TABLE backtest_events (
    run_id          VARCHAR NOT NULL,
    event           VARCHAR NOT NULL,
    variant         VARCHAR NOT NULL,
    kind            VARCHAR NOT NULL,
    start_date      DATE NOT NULL,
    end_date        DATE NOT NULL,
    drawdown        DOUBLE,
    reduction       DOUBLE,
    in_claim_check  BOOLEAN NOT NULL,
    PRIMARY KEY (run_id, event, variant)
);

-- one row per run and size-changing hedge trade, with the signal behind it (attribution)
CREATE TABLE backtest_attribution (
    run_id     VARCHAR NOT NULL,
    variant    VARCHAR NOT NULL,
    seq        INTEGER NOT NULL,
    date       DATE NOT NULL,
    layer      VARCHAR NOT NULL,
    signal     VARCHAR NOT NULL,
    action     VARCHAR NOT NULL,
    contracts  DOUBLE NOT NULL,
    price      DOUBLE NOT NULL,
    cash_flow  DOUBLE NOT NULL,
    earned     DOUBLE,
    PRIMARY KEY (run_id, variant, seq)
);
