-- Agora support escalation: billing tables of the support desk, plus escalations to a supervisor.
-- Money is in integer cents.
CREATE TABLE customers(
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE,
    plan TEXT NOT NULL CHECK(plan IN ('basic', 'pro', 'team')),
    status TEXT NOT NULL CHECK(status IN ('active', 'suspended', 'closed'))
);
CREATE TABLE invoices(
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id),
    period TEXT NOT NULL,
    amount_cents INTEGER NOT NULL CHECK(amount_cents >= 0),
    status TEXT NOT NULL CHECK(status IN ('paid', 'open', 'refunded')),
    paid_at TEXT
);
CREATE TABLE refunds(
    id TEXT PRIMARY KEY,
    invoice_id TEXT NOT NULL REFERENCES invoices(id),
    amount_cents INTEGER NOT NULL CHECK(amount_cents > 0),
    method TEXT NOT NULL CHECK(method IN ('original', 'credit')),
    approved_by TEXT NOT NULL CHECK(approved_by IN ('agent', 'supervisor')),
    created_at TEXT NOT NULL
);
CREATE TABLE escalations(
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id),
    invoice_id TEXT NOT NULL REFERENCES invoices(id),
    status TEXT NOT NULL CHECK(status IN ('open', 'approved', 'declined')),
    created_at TEXT NOT NULL,
    decided_at TEXT
);
-- The agent's free-text summary of an escalation: read by the supervisor, not graded.
CREATE TABLE escalation_notes(
    escalation_id TEXT PRIMARY KEY REFERENCES escalations(id),
    summary TEXT NOT NULL
);
