"""Two languages: the Khmer catalogue covers every marked text, pages and e-mails follow the
reader's language, and the words drawn from data files are all marked."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from tracktwo._i18n import best_language, translator
from tracktwo.bridges._kinds import DOORS_TRACKS, load_vocabulary
from tracktwo.taxonomy import load_taxonomy
from tracktwo.web import WebSettings, _words, create_app

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "tracktwo" / "locale" / "km" / "LC_MESSAGES" / "tracktwo.po"
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def _catalogue() -> dict[str, str]:
    with CATALOGUE.open("rb") as handle:
        return {m.id: m.string for m in read_po(handle) if m.id}


def test_every_marked_text_has_a_khmer_translation_with_its_placeholders() -> None:
    sys.path.insert(0, str(ROOT / "tools"))
    from catalogues import source_texts

    texts, khmer = source_texts(), _catalogue()
    missing = sorted(set(texts) - set(khmer))
    assert not missing, f"run `make catalogues` and translate: {missing[:5]}"
    assert not sorted(set(khmer) - set(texts)), "the catalogue has texts no source uses"
    for text in texts:
        assert khmer[text].strip(), f"no Khmer for {text!r} ({texts[text]})"
        assert sorted(PLACEHOLDER.findall(khmer[text])) == sorted(PLACEHOLDER.findall(text)), text
        # a translation in Khmer script, unless it is a code or a name kept as it is
        if re.search(r"[a-z]{4}", text) and text not in ("csrf",):
            assert re.search("[\u1780-\u17ff]", khmer[text]), f"{text!r} -> {khmer[text]!r}"


def test_the_words_from_data_files_are_all_marked() -> None:
    vocabulary, taxonomy = load_vocabulary(), load_taxonomy()
    # the kinds open doors offers: civil society and local government (cities, provinces)
    people = {vocabulary.labels[k] for k, track in vocabulary.kinds.items()
              if track in DOORS_TRACKS}  # fmt: skip
    assert set(_words.KIND_LABELS) == people
    areas = {a.label for a in taxonomy.areas.values() if a.name != "unspecified"}
    assert set(_words.AREA_LABELS) == areas
    assert set(_words.CHANNELS) == {c.replace("_", " ") for c in vocabulary.channels}


def test_translation_fills_placeholders_and_falls_back_to_english() -> None:
    khmer = translator("km")
    assert khmer("Request %(id)s", id=7) == "សំណើ 7"
    assert khmer("a text nobody marked") == "a text nobody marked"
    assert translator("fr")("Log in") == "Log in"  # a language tracktwo lacks is English


@pytest.mark.parametrize(
    ("choices", "accept", "expected"),
    [
        ((None, None), "km-KH,km;q=0.9,en;q=0.8", "km"),
        ((None, None), "fr-FR,en;q=0.5,km;q=0.9", "km"),  # km outranks en; fr is not offered
        ((None, "en"), "km", "en"),  # a chosen language beats the browser's
        (("km", "en"), None, "km"),  # the account's beats the cookie
        ((None, None), "de;q=x", "en"),
    ],
)
def test_the_language_is_the_accounts_then_the_cookie_then_the_browsers(
    choices, accept, expected
) -> None:
    assert best_language(*choices, accept=accept) == expected


def test_pages_follow_the_visitors_language(tmp_path: Path) -> None:
    client = TestClient(create_app(WebSettings(home=tmp_path)), base_url="http://tracktwo.test")
    english = client.get("/doors")
    assert '<html lang="en">' in english.text and "Search partners" in english.text
    khmer = client.get("/doors", headers={"Accept-Language": "km"})
    assert '<html lang="km">' in khmer.text and "ស្វែងរកដៃគូ" in khmer.text
    assert "Search partners" not in khmer.text
    switched = client.post("/language", data={"language": "km", "next": "/signup"},
                           follow_redirects=False)  # fmt: skip
    assert (switched.status_code, switched.headers["location"]) == (303, "/signup")
    signup = client.get("/signup")
    assert "ចុះឈ្មោះ" in signup.text and '<html lang="km">' in signup.text
    # no English text the catalogue knows is left on the Khmer pages
    khmer_texts = set(_catalogue())
    for path in ("/doors", "/doors/partners", "/signup", "/login", "/nowhere"):
        page = client.get(path).text
        shown = {t.strip() for t in re.findall(r">([^<>]+)<", page)}
        left = sorted(t for t in shown & khmer_texts if re.search(r"[A-Za-z]{4}", t))
        assert not left, (path, left)
    # the switcher never sends anyone off the site
    away = client.post("/language", data={"language": "en", "next": "https://evil.example/"},
                       follow_redirects=False)  # fmt: skip
    assert away.headers["location"] == "/"
