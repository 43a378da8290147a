-- Certificates bound to custom domains: at most one per key algorithm on a
-- domain. certificate_id is indexed for the "a bound certificate cannot be
-- deleted" check and for listing a certificate's domains.
CREATE TABLE domain_certificates (
    domain_id      TEXT NOT NULL,
    certificate_id TEXT NOT NULL,
    account_id     TEXT NOT NULL,
    instance_id    TEXT NOT NULL,
    group_id       TEXT NOT NULL,
    algorithm      TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    CONSTRAINT domain_certificates_pkey PRIMARY KEY (domain_id, certificate_id)
) STRICT;

CREATE UNIQUE INDEX domain_certificates_algorithm ON domain_certificates (domain_id, algorithm);
CREATE INDEX domain_certificates_certificate ON domain_certificates (certificate_id);
CREATE INDEX domain_certificates_account ON domain_certificates (account_id);
