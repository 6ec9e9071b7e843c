-- The approver registry and signed changes to it (issue 15, migration 0010).

-- @statement keys
SELECT name, public_key FROM approver_keys ORDER BY name;

-- @statement key_list
SELECT name, public_key, added_at FROM approver_keys ORDER BY name;

-- @statement add_key
INSERT INTO approver_keys (name, public_key, added_at) VALUES ($name, $public_key, $added_at);

-- @statement remove_key
DELETE FROM approver_keys WHERE name = $name;

-- @statement registry_history
-- every applied change of the registry, oldest first: the registry is replayed from these
SELECT seq, details FROM audit_log WHERE event = 'approvers_changed' ORDER BY seq;

-- @statement change
SELECT change_id, action, name, public_key, registry, status FROM approver_changes
WHERE change_id = $change_id;

-- @statement insert_change
INSERT INTO approver_changes (change_id, action, name, public_key, registry, status, created_at)
VALUES ($change_id, $action, $name, $public_key, $registry, 'pending', $created_at);

-- @statement change_status
UPDATE approver_changes SET status = $status WHERE change_id = $change_id;

-- @statement supersede_pending
-- once the registry changed, pending requests signed over the old set can never apply
UPDATE approver_changes SET status = 'superseded' WHERE status = 'pending';

-- @statement change_signatures
SELECT signer, public_key, signature FROM approver_change_signatures
WHERE change_id = $change_id ORDER BY signed_at;

-- @statement sign_change
INSERT INTO approver_change_signatures (change_id, signer, public_key, signature, signed_at)
VALUES ($change_id, $signer, $public_key, $signature, $signed_at);

-- @statement pending_changes
SELECT c.change_id, c.action, c.name, c.created_at, count(s.signer) AS signatures,
       string_agg(s.signer, ', ' ORDER BY s.signed_at) AS signed_by
FROM approver_changes AS c
LEFT JOIN approver_change_signatures AS s USING (change_id)
WHERE c.status = 'pending'
GROUP BY ALL
ORDER BY c.created_at;
