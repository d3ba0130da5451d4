from __future__ import annotations

from runlens.analysis.replay.canonical import canonical, canonical_text, digest, parse
from runlens.analysis.replay.diff import MAX_FIELDS, field_diff


def test_keys_are_sorted_and_spacing_ignored() -> None:
    assert canonical_text('{"b": 1, "a": [1, 2]}') == canonical_text('{"a":[1,2],"b":1}')
    assert canonical({"b": 1, "a": 2}) == '{"a":2,"b":1}'


def test_numbers_are_normalised() -> None:
    assert canonical(1.0) == canonical(1) == "1"
    assert canonical(0.1 + 0.2) == canonical(0.3)
    assert canonical(0.5) != canonical(0.25)
    assert canonical(True) != canonical(1)


def test_text_that_is_not_json_and_empty_text() -> None:
    assert parse("") is None
    assert parse("plain words") == "plain words"
    assert digest("plain") == digest('"plain"')
    assert digest('{"a": 1.0}') == digest('{"a":1}')


def test_field_diff_names_json_paths_and_is_bounded() -> None:
    diff = field_diff({"a": {"b": [1, 2]}, "c": "x"}, {"a": {"b": [1, 3]}, "d": "y"})
    assert [(d.path, d.original, d.replay) for d in diff] == [
        ("$.a.b[1]", "2", "3"),
        ("$.c", '"x"', None),
        ("$.d", None, '"y"'),
    ]
    many = field_diff(list(range(100)), list(range(1, 101)))
    assert len(many) == MAX_FIELDS
    long = field_diff({"k": "x" * 1000}, {"k": "y"})
    assert long[0].original is not None and len(long[0].original) == 200
