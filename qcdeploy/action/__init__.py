"""The GitHub Action's logic (action.yml at the repository root runs `python -m qcdeploy.action STEP`): plan each
environment, keep one sticky pull-request comment per environment, apply exactly the reviewed plan. It runs
qcdeploy as a subprocess, as a workflow would, and talks to GitHub's REST API through `github.py` alone."""
