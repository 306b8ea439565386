"""The ledger: what qcdeploy deployed and with what (store), its lock (lock), and where it lives: a file, a git
branch or a Terraform-style HTTP state service (backends/)."""
