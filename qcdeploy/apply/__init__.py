"""Carrying out a plan: compile, preflight, stop, create, watch, roll back, record; see `executor` for the order.

Every step answers one question before it runs: if it fails, or the process dies right after it, what is
running for that strategy? A replace that cannot bring its new deployment up redeploys what ran before
(`rollback`); where even that cannot be done, the summary opens with FLAT.
"""
