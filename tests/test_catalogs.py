"""The translation catalogs (locale/): complete for every language, the compiled .mo the same as its .po, and nothing
that `makemessages` would find missing from them. `make messages` brings them up to date after strings change."""

import gettext
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils.translation import to_locale

ROOT = Path(__file__).resolve().parents[1]
LANGUAGES = [to_locale(code) for code, _name in settings.LANGUAGES if code != "en"]
DOMAINS = ("django", "djangojs")
CATALOGS = [(language, domain) for language in LANGUAGES for domain in DOMAINS]
# What a message must keep in every language: its placeholders and its markup.
KEPT = re.compile(r"%\([^)]+\)[a-z]|%[a-z]|<[^>]+>|\{\}")


def catalog(language: str, domain: str, root: Path = ROOT) -> polib.POFile:
    return polib.pofile(str(root / "locale" / language / "LC_MESSAGES" / f"{domain}.po"))


def nplurals(po: polib.POFile) -> int:
    return int(re.search(r"nplurals\s*=\s*(\d+)", po.metadata["Plural-Forms"]).group(1))


@pytest.mark.parametrize(("language", "domain"), CATALOGS)
def test_every_message_is_translated_with_every_plural_form(language, domain):
    po = catalog(language, domain)
    forms = nplurals(po)
    problems = []
    for entry in po:
        if entry.obsolete:
            continue
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {entry.msgid!r}")
        if entry.msgid_plural:
            texts = [entry.msgstr_plural.get(i, "") for i in range(forms)]
            if len(entry.msgstr_plural) != forms:
                problems.append(f"{len(entry.msgstr_plural)} plural forms, not {forms}: {entry.msgid!r}")
        else:
            texts = [entry.msgstr]
        if not all(text.strip() for text in texts):
            problems.append(f"untranslated: {entry.msgid!r}")
        wanted = sorted(KEPT.findall(entry.msgid))
        for text in texts:
            if text and sorted(KEPT.findall(text)) != wanted:
                problems.append(f"placeholders or markup differ: {entry.msgid!r} → {text!r}")
    assert not problems, f"locale/{language}/LC_MESSAGES/{domain}.po:\n" + "\n".join(problems)


@pytest.mark.parametrize(("language", "domain"), CATALOGS)
def test_each_compiled_catalog_is_its_po_file(language, domain):
    po = catalog(language, domain)
    mo_path = ROOT / "locale" / language / "LC_MESSAGES" / f"{domain}.mo"
    assert mo_path.exists(), f"{mo_path.relative_to(ROOT)} is missing: run `make messages`"
    with mo_path.open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)._catalog
    expected = {}
    for entry in po.translated_entries():
        key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
        if entry.msgid_plural:
            expected.update({(key, int(i)): text for i, text in entry.msgstr_plural.items()})
        else:
            expected[key] = entry.msgstr
    compiled.pop("", None)  # the header
    assert compiled == expected, f"{mo_path.relative_to(ROOT)} is not its .po compiled: run `make messages`"


def test_makemessages_finds_nothing_the_catalogs_lack(tmp_path):
    """Run makemessages on a copy of the sources: every message it collects must already be in every catalog."""
    if not shutil.which("xgettext"):
        if os.environ.get("CI"):
            pytest.fail("GNU gettext is not installed (apt-get install gettext)")
        pytest.skip("needs GNU gettext: apt-get install gettext")
    for name in ("manage.py", "escalation_portal", "queues", "templates", "locale"):
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / name)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "--no-location", "--no-obsolete", "-l", "de"]
        + ["--ignore=queues/static/vendor", "--ignore=queues/static/queues/x-text-data.js"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        env={**os.environ, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "escalation_portal.settings"},
    )
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "--no-location", "--no-obsolete", "-d", "djangojs", "-l", "de"]
        + ["--ignore=queues/static/vendor", "--ignore=queues/static/queues/x-text-data.js"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        env={**os.environ, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "escalation_portal.settings"},
    )
    for domain in DOMAINS:
        found = {(e.msgctxt, e.msgid) for e in catalog("de", domain, tmp_path) if not e.obsolete}
        for language in LANGUAGES:
            known = {(e.msgctxt, e.msgid) for e in catalog(language, domain) if e.translated() and not e.obsolete}
            missing = sorted(msgid for _context, msgid in found - known)
            assert not missing, (
                f"locale/{language}/LC_MESSAGES/{domain}.po lacks messages the code has (run `make messages` and "
                "translate them):\n" + "\n".join(map(repr, missing))
            )
