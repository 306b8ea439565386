"""`python -m qcdeploy.schemacheck`: regenerate the compiled pre-check of every shipped schema."""

from qcdeploy.schemacheck import write_all

write_all()
