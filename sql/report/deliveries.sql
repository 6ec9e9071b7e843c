-- Deliveries of the daily summary (migration 0007). No secrets are ever bound here.

-- @statement insert
INSERT INTO deliveries VALUES (
    $delivery_id, $as_of, $channel, $status, $attempts, $recipients, $subject, $message_id,
    $smtp_host, $smtp_security, $report_pdf, $content_hash, $eml_path, $detail, $started_at,
    $finished_at
);
