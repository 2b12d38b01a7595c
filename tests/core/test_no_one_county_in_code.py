"""Nothing about one county in code (issue 15, item 5): the portal serves any partnership.

Fails if a Northamptonshire ONS code or place name appears in Python code or templates outside
demo data and tests. Demo data (``demo.py`` modules) is where the county belongs; migrations are
left out because they are historical records of past model states and are never edited (a
help text changed in a model reaches them through a new migration).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# .ci holds CI scripts that drive the real (Northamptonshire) public files, like the tests do.
SKIPPED_DIRS = {
    ".venv",
    "node_modules",
    "tests",
    "migrations",
    "static",
    "var",
    ".git",
    "docs",
    ".ci",
}

PLACE_NAMES = (
    "Northamptonshire",
    "Northampton",
    "Northants",
    "Corby",
    "Kettering",
    "Wellingborough",
    "Daventry",
    "Towcester",
    "Brackley",
    "Rushden",
    "Oundle",
    "Thrapston",
    "Raunds",
    "Irthlingborough",
    "Desborough",
    "Higham Ferrers",
)
PLACE_PATTERN = re.compile(r"\b(" + "|".join(map(re.escape, PLACE_NAMES)) + r")", re.IGNORECASE)
# The two unitary authorities (2021) and the seven districts before them.
AUTHORITY_CODES = re.compile(r"\b(E0600006[12]|E0700015[0-6])\b")
# The county's 422 LSOAs (2011) lie in three blocks of codes that no other area shares.
LSOA_CODE = re.compile(r"\bE01(\d{6})\b")
COUNTY_LSOA_BLOCKS = ((26949, 27355), (32963, 32985), (33244, 33245))


def county_mentions(text: str) -> list[str]:
    """Every Northamptonshire place name, authority code or LSOA code in the text."""
    found = [m.group(0) for m in PLACE_PATTERN.finditer(text)]
    found += [m.group(0) for m in AUTHORITY_CODES.finditer(text)]
    for match in LSOA_CODE.finditer(text):
        number = int(match.group(1))
        if any(low <= number <= high for low, high in COUNTY_LSOA_BLOCKS):
            found.append(match.group(0))
    return found


def code_files() -> list[Path]:
    """Python modules and templates of the portal, outside demo data and tests."""
    files = []
    for path in ROOT.rglob("*"):
        relative = path.relative_to(ROOT)
        if set(relative.parts[:-1]) & SKIPPED_DIRS or not path.is_file():
            continue
        # Demo data: demo.py modules and their demo_*.py companions (the synthetic extracts).
        is_demo = path.name == "demo.py" or path.name.startswith("demo_")
        python = path.suffix == ".py" and not is_demo
        template = path.suffix in (".html", ".txt") and "templates" in relative.parts
        if python or template:
            files.append(path)
    return sorted(files)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('help_text="For example: Northamptonshire."', ["Northamptonshire"]),
        ("Crime in north northants", ["northants"]),
        ("WHERE code = 'E07000153'", ["E07000153"]),
        ("lsoa = 'E01027117'", ["E01027117"]),
        ("lsoa = 'E01033245'", ["E01033245"]),
        ("lsoa = 'E01000001', 'E01027356', 'W01000001', E06000060", []),
        ("A drop-in in Corby Cube", ["Corby"]),
    ],
)
def test_the_scan_recognises_county_names_and_codes(text, expected):
    assert county_mentions(text) == expected


def test_no_county_name_or_code_in_python_code_or_templates():
    files = code_files()
    # The scan covers the real code: views, services, templates and the geography loader.
    names = {path.relative_to(ROOT).as_posix() for path in files}
    assert {"incidents/geography.py", "templates/base.html", "partners/models.py"} <= names
    assert not any(name.endswith("/demo.py") for name in names)
    found = {
        path.relative_to(ROOT).as_posix(): mentions
        for path in files
        if (mentions := county_mentions(path.read_text(encoding="utf-8", errors="replace")))
    }
    assert found == {}, (
        "Northamptonshire belongs in demo data, not in code: move these to a demo.py module "
        f"or make them data: {found}"
    )
