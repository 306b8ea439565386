"""`python -m qcdeploy.manifests.schemacheck`: regenerate the compiled pre-check of every shipped schema."""

from qcdeploy.manifests.schemacheck import write_all

write_all()
