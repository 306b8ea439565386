"""Manifests: YAML that remembers where each value came from (yamlsrc), the schemas and their generated
pre-checks (schema, schemacheck/), `${env:NAME}` references (envref), Environment overlays (environments), the
brokerage and data-provider catalogue (brokerages), and discovery, loading and cross-checks (load). Knows nothing
of the QuantConnect API, the ledger or plans."""
