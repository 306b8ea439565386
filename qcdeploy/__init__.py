"""qcdeploy: declarative, GitOps-style deployment of QuantConnect live algorithms."""

__version__ = "0.1.0"
