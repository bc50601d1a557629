"""Fixtures shared by the loader tests: the bundled policy built once, in process."""
from __future__ import annotations

import pytest

from policykg.loader.dataset import build

BUNDLED_DOC_ID = "suzhou-2011-community-party-building"


@pytest.fixture(scope="session")
def built():
    """The dataset built from the bundled policy (tests read it; the ones that change a graph copy it first)."""
    return build()


@pytest.fixture(scope="session")
def document(built):
    """The bundled policy's parsed document."""
    return next(d for d in built.documents if d.doc_id == BUNDLED_DOC_ID)
