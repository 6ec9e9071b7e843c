"""Layer 5, the hedge (method §5–§6): signals S1–S6, layer states and targets, proposed orders
and their approvals, and one day of the engine (`day`)."""
