"""The one way files are read: regular, bounded, UTF-8, and JSON with sane numbers."""

from __future__ import annotations

import os

import pytest

from qcdeploy.files import MAX_DIGITS, Unreadable, load_json, read_text


def test_a_regular_file_within_its_limit_is_read(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("x: ä\n")
    assert read_text(path, 6) == "x: ä\n"


def test_over_the_limit_names_the_file_the_size_and_how_to_raise_it(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("x" * 11)
    with pytest.raises(Unreadable, match=r"a.yaml: 11 bytes, over the limit of 10 \(SOME_SETTING\)$"):
        read_text(path, 10, "SOME_SETTING")


def test_a_fifo_is_refused_before_it_is_opened(tmp_path):
    path = tmp_path / "p.yaml"
    os.mkfifo(path)  # with no writer, opening it for reading would block forever
    with pytest.raises(Unreadable, match=r"p.yaml: not a regular file \(a FIFO\)"):
        read_text(path, 10)


def test_a_missing_file_is_left_to_the_caller(tmp_path):
    with pytest.raises(FileNotFoundError):  # the ledger: no file is no ledger yet
        read_text(tmp_path / "none.json", 10)


def test_text_that_is_not_utf8(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_bytes(b"x: \xc3\x28\n")
    with pytest.raises(Unreadable, match=r"a\.yaml: cannot read: not UTF-8 text"):
        read_text(path, 100)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('{"a": 1,\n  "serial": 1e999}', "l.json:2:13: 1e999"),
        ('{"a": -Infinity}', "l.json:1:7: -Infinity"),
        ('{"a": NaN}', "l.json:1:7: NaN"),
        ('{"s": "1e400", "a": 1e400}', "l.json:1:21: 1e400"),  # the number, not the string that looks like it
        ('{"a": ' + "7" * (MAX_DIGITS + 1) + "}", "l.json:1:7: 7777"),
        ('{"a": 2e15}', "l.json:1:7: 2e15"),
    ],
)
def test_json_numbers_past_sane_are_refused_where_they_stand(text, where):
    with pytest.raises(Unreadable, match=f"^{where}"):
        load_json(text, "l.json")


def test_json_with_ordinary_numbers():
    assert load_json('{"serial": 12, "v": -1.5, "big": ' + "9" * MAX_DIGITS + "}", "l.json")["serial"] == 12
