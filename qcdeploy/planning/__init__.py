"""Planning: manifests resolved against the observed state (resolve), the spec diff (fielddiff, fingerprint), the
plan itself (planner), what a plan puts at stake and when it may run (exposure, windows, promotion, safety), saved
plans (savedplan), and the read-only views built on the same decisions (drift, adoption, export, doctor). Pure
except where a module says it reads the API; never changes anything."""
