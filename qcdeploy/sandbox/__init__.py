"""A local emulator of the QuantConnect API v2 subset that qcdeploy uses (docs/quantconnect-api.md lists each
endpoint). It imports nothing of qcdeploy but `errors`: an independent model of the API, not the client's mirror."""
