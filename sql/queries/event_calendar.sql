-- Events of the given types, scheduled ones included (a schedule is known in advance).
-- Bind parameters: $types (list of event types).
SELECT event_type, event_date, reference_month, unscheduled, status
FROM event_calendar
WHERE list_contains($types, event_type)
ORDER BY event_date, event_type;
