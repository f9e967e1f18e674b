"""Which licences say a package's code is not open: what makes an embedded source map critical."""

from __future__ import annotations

import re

PROPRIETARY = re.compile(r"^(unlicen[sc]ed|see licen[sc]e in\b.*|proprietary|commercial|other/proprietary license"
                         r"|all rights reserved|private)$", re.IGNORECASE)


def is_proprietary(license_: str | None) -> bool:
    """True when a licence is missing or says the code is not open (npm's ``UNLICENSED``,
    ``SEE LICENSE IN <file>``; PyPI's ``Other/Proprietary License``)."""
    return license_ is None or PROPRIETARY.match(license_.strip()) is not None
