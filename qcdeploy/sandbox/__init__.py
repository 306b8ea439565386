"""A local emulator of the QuantConnect API v2 subset that qcdeploy uses (SPEC §5)."""
