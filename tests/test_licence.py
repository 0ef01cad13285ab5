"""The licences and the citation file exist, say what the project decided, and agree.

The code is MIT (LICENSE), the lessons CC BY 4.0 (LICENSE-lessons.md); pyproject.toml
and CITATION.cff must say the same, and the README must tell a reader so on its first
screen.

CITATION.cff is checked against the rules of the Citation File Format 1.2.0 that
matter here (required keys, the shape of an author, SPDX licence identifiers, dates),
written out below. The format's own validator on PyPI, cffconvert (2.0.0, the latest
release), requires jsonschema<4, while JupyterLab needs jsonschema>=4.18, so it cannot
be installed beside the lessons. The file was also validated once with cffconvert
2.0.0 in a separate environment (`cffconvert --validate -i CITATION.cff`).
"""

import datetime
import re
from pathlib import Path

import pytest
import tomllib
import yaml

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
HOLDER = "The adlearn authors"

# The keys CFF 1.2.0 allows at the top level, for a person and for an entity (such
# as "The adlearn authors"), and the top-level keys it requires.
# fmt: off
CFF_KEYS = {
    "abstract", "authors", "cff-version", "commit", "contact", "date-released", "doi",
    "identifiers", "keywords", "license", "license-url", "message", "preferred-citation",
    "references", "repository", "repository-artifact", "repository-code", "title", "type",
    "url", "version",
}
PERSON_KEYS = {
    "family-names", "given-names", "name-particle", "name-suffix", "affiliation", "address",
    "city", "country", "email", "fax", "orcid", "post-code", "region", "tel", "alias",
    "website",
}
ENTITY_KEYS = {
    "name", "address", "alias", "city", "country", "date-end", "date-start", "email", "fax",
    "location", "orcid", "post-code", "region", "tel", "website",
}
# fmt: on
CFF_REQUIRED = {"authors", "cff-version", "message", "title"}


def read(name):
    path = ROOT / name
    assert path.is_file(), f"{name} is missing"
    return path.read_text(encoding="utf-8")


def citation():
    # CFF is YAML, but YAML would turn an unquoted 1.10 into the float 1.1: read it
    # with the base loader, where every scalar stays the string that was written.
    return yaml.load(read("CITATION.cff"), Loader=yaml.BaseLoader)


def test_code_licence_is_mit_with_the_projects_copyright():
    text = read("LICENSE")
    assert text.startswith("MIT License\n")
    assert re.search(rf"^Copyright \(c\) 2026 {HOLDER}$", text, re.M)
    # The permission notice and the warranty disclaimer, as the MIT licence words them.
    for phrase in (
        "Permission is hereby granted, free of charge, to any person obtaining a copy",
        "The above copyright notice and this permission notice shall be included in all",
        'THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR',
    ):
        assert phrase in text


def test_lessons_licence_is_cc_by_4_with_its_legal_text_and_how_to_credit():
    text = read("LICENSE-lessons.md")
    assert "CC BY 4.0" in text.splitlines()[0]
    assert f"Copyright (c) 2026 {HOLDER}" in text
    assert "https://creativecommons.org/licenses/by/4.0/" in text
    assert "## How to credit the series" in text
    # The whole legal code, from its title to its last section.
    legal = text.split("```text", 1)[1]
    assert "Creative Commons Attribution 4.0 International Public License" in legal
    sections = re.findall(r"^Section (\d) -- ", legal, re.M)
    assert sections == [str(n) for n in range(1, 9)]
    # It says which parts are code, and that the code cells of the notebooks are MIT.
    assert "[`LICENSE`](LICENSE)" in text and "code cell" in text


def test_pyproject_declares_the_code_licence():
    assert PROJECT["license"] == "MIT", "pyproject's license should be the SPDX id MIT"
    assert "MIT License" in read("LICENSE")


def test_citation_file_follows_cff_1_2_0():
    data = citation()
    assert data["cff-version"] == "1.2.0"
    assert set(data) >= CFF_REQUIRED, f"missing {sorted(CFF_REQUIRED - set(data))}"
    assert set(data) <= CFF_KEYS, f"not CFF 1.2.0 keys: {sorted(set(data) - CFF_KEYS)}"
    for key in ("message", "title", "abstract"):
        assert isinstance(data.get(key, "x"), str) and data.get(key, "x").strip()
    assert data.get("type", "software") in {"software", "dataset"}
    authors = data["authors"]
    assert isinstance(authors, list) and authors
    for author in authors:
        assert isinstance(author, dict)
        allowed = ENTITY_KEYS if "name" in author else PERSON_KEYS
        assert set(author) <= allowed, f"unknown keys for an author: {author}"
        assert author.get("name") or author.get("family-names"), author
    if "date-released" in data:
        datetime.date.fromisoformat(data["date-released"])
    keywords = data.get("keywords", ["x"])
    assert isinstance(keywords, list) and all(isinstance(k, str) and k for k in keywords)


def test_citation_file_agrees_with_pyproject():
    data = citation()
    assert data["version"] == PROJECT["version"], "CITATION.cff and pyproject.toml versions"
    package = re.search(r'^__version__ = "(.+)"$', read("adlearn/__init__.py"), re.M)
    assert package and package.group(1) == PROJECT["version"], "adlearn.__version__"
    # One SPDX id: CFF reads a list of licences as a choice between them.
    assert data["license"] == PROJECT["license"]
    assert data["authors"] == [{"name": HOLDER}]
    assert PROJECT["name"] in data["title"]
    # The lessons' licence, which the single `license` key cannot carry, is in the message.
    assert "CC-BY-4.0" in data["message"] and "LICENSE-lessons.md" in data["message"]


@pytest.mark.parametrize("name", ["INSTRUCTORS.md", "CONTRIBUTING.md"])
def test_guides_exist_and_the_readme_links_them(name):
    read(name)
    readme = read("README.md")
    instructors = readme.split("## For instructors", 1)[1].split("\n## ", 1)[0]
    assert f"]({name})" in instructors, f"the README's 'For instructors' should link {name}"


def test_readme_says_on_its_first_screen_what_may_be_reused():
    readme = read("README.md")
    first_screen = readme.split("\n## ", 1)[0]  # the title and the opening paragraphs
    for needed in ("MIT", "CC BY 4.0", "LICENSE", "LICENSE-lessons.md"):
        assert needed in first_screen, f"the README's opening should mention {needed}"
    assert "## Licence" in readme


def test_instructors_guide_lists_every_lesson():
    guide = read("INSTRUCTORS.md")
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb")):
        assert f"](notebooks/{path.name})" in guide, f"INSTRUCTORS.md should link {path.name}"


@pytest.mark.parametrize("name", ["INSTRUCTORS.md", "CONTRIBUTING.md", "LICENSE-lessons.md"])
def test_links_between_the_documents_resolve(name):
    for target in re.findall(r"\]\(([^)\s]+)\)", read(name)):
        if target.startswith(("http://", "https://", "#", "mailto:")):
            continue
        assert (ROOT / target.split("#")[0]).exists(), f"{name} links to a missing {target}"
