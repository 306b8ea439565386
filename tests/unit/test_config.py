"""Settings: which API URLs are accepted, and credentials that never show their token."""

from __future__ import annotations

import pytest

from qcdeploy.config import check_api_url
from qcdeploy.errors import ConfigError


def test_api_url_rules():
    assert check_api_url("http://127.0.0.1:5612/api/v2") == "http://127.0.0.1:5612/api/v2/"
    assert check_api_url("http://localhost:1/api/v2/").startswith("http://localhost")
    assert check_api_url("https://www.quantconnect.com/api/v2/")
    with pytest.raises(ConfigError):
        check_api_url("http://10.0.0.1/api/v2/")
    with pytest.raises(ConfigError):
        check_api_url("ftp://x/")
