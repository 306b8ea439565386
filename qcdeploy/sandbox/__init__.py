"""A local emulator of the QuantConnect API v2 subset that qcdeploy uses (docs/quantconnect-api.md lists each endpoint)."""
