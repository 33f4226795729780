-- Agora support desk: the agent's database. Money is in integer cents.
CREATE TABLE customers(
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE,
    zip TEXT NOT NULL,
    plan TEXT NOT NULL CHECK(plan IN ('basic', 'pro', 'team')),
    status TEXT NOT NULL CHECK(status IN ('active', 'suspended', 'closed')),
    credit_cents INTEGER NOT NULL DEFAULT 0 CHECK(credit_cents >= 0)
);
CREATE TABLE subscriptions(
    customer_id TEXT PRIMARY KEY REFERENCES customers(id),
    plan TEXT NOT NULL CHECK(plan IN ('basic', 'pro', 'team')),
    renews_at TEXT NOT NULL
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
    created_at TEXT NOT NULL
);
CREATE TABLE tickets(
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id),
    subject TEXT NOT NULL,
    status TEXT NOT NULL CHECK(status IN ('open', 'pending', 'resolved', 'closed')),
    priority TEXT NOT NULL CHECK(priority IN ('low', 'normal', 'high', 'urgent')),
    created_at TEXT NOT NULL
);
CREATE TABLE password_resets(
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id),
    sent_at TEXT NOT NULL
);
-- Append-only; not part of the graded state.
CREATE TABLE audit_log(
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tool TEXT NOT NULL,
    detail TEXT NOT NULL,
    at TEXT NOT NULL
);
