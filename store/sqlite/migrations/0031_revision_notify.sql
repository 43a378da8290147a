-- PostgreSQL's 0031 makes revision moves notify listening gateways. SQLite
-- has no notifications (its gateways poll the revision), so this version
-- changes nothing here; it keeps the two backends' versions in step.
SELECT 1;
