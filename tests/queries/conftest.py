"""Fixtures of the named-question tests: the built dataset in a store, and a resolver over it."""
from __future__ import annotations

import pytest

from policykg.store.backend import OxigraphStore
from policykg.queries.resolve import Resolver

BASE = "https://w3id.org/policykg/"


@pytest.fixture(scope="module")
def store(built_dataset):
    """One store per test module (a module that tries injections cannot leak into another)."""
    return OxigraphStore.from_file(built_dataset, BASE)


@pytest.fixture(scope="module")
def resolver(store):
    return Resolver(store, BASE)
