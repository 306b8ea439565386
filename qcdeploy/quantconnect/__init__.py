"""The QuantConnect API boundary: HTTP transport with auth, retries and scrubbing (transport), the endpoints qcdeploy
calls (endpoints), and the decoding of their answers into the model (decode), the only place that knows QuantConnect's
JSON field names. Knows nothing of manifests, plans or the ledger."""
