"""Notification targets: one module per kind of target (webhook, Slack, email) behind the `Target` interface,
and the delivery that retries each and never lets one fail the run."""
