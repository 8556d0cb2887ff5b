"""The one pair check every capability uses (``Countries.pair``): codes or names in, two
distinct ISO3 codes out, a clear error otherwise."""

from __future__ import annotations

import pytest

from tracktwo import InputError, UnknownCodeError
from tracktwo.taxonomy import load_taxonomy


def test_codes_and_names_become_iso3() -> None:
    countries = load_taxonomy().countries
    assert countries.pair("KHM", "USA") == ("KHM", "USA")
    assert countries.pair("kh", "US") == ("KHM", "USA")  # ISO2, any case
    assert countries.pair("Cambodia", "united states") == ("KHM", "USA")


def test_one_country_twice_is_refused_whatever_its_spelling() -> None:
    countries = load_taxonomy().countries
    with pytest.raises(InputError, match="a pair needs two different countries, not KHM twice"):
        countries.pair("KHM", "Cambodia")


def test_an_unknown_code_is_named() -> None:
    with pytest.raises(UnknownCodeError, match="unknown country 'XXZ'"):
        load_taxonomy().countries.pair("KHM", "XXZ")


def test_former_members_pass_only_when_listed() -> None:
    countries = load_taxonomy().countries
    assert countries.pair("YUG", "USA", also_known=frozenset({"YUG"})) == ("YUG", "USA")
    with pytest.raises(UnknownCodeError):
        countries.pair("YUG", "USA")
