-- The sandbox gateway keeps its records for a retention, as a processor keeps idempotency keys: in
-- the order that retention reaches them.
create index gateway_operations_created on payments.gateway_operations (created_at);
