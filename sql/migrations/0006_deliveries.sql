-- 0006: delivery of the daily report (issue 6): one row per attempt to send or write the email.
-- Never holds a secret: recipients, subject and the outcome only, never credentials.

-- one row per delivery of one as_of's summary (a re-send adds a row; the latest row wins)
CREATE TABLE deliveries (
    delivery_id     VARCHAR PRIMARY KEY,
    as_of           DATE NOT NULL,
    channel         VARCHAR NOT NULL CHECK (channel IN ('smtp', 'eml')),
    status          VARCHAR NOT NULL CHECK (status IN ('sent', 'written', 'failed')),
    attempts        INTEGER NOT NULL CHECK (attempts >= 0),
    recipients      VARCHAR NOT NULL,
    subject         VARCHAR NOT NULL,
    message_id      VARCHAR,
    smtp_host       VARCHAR,
    smtp_security   VARCHAR,
    report_pdf      VARCHAR NOT NULL,
    content_hash    VARCHAR NOT NULL,
    eml_path        VARCHAR,
    detail          VARCHAR NOT NULL,
    started_at      TIMESTAMP NOT NULL,
    finished_at     TIMESTAMP NOT NULL
);
