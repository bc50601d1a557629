"""Fixtures of the compliance tests: the checks generated from the built policy, once per session."""
from __future__ import annotations

import pytest

from policykg.compliance.norms import load_policy_norms
from policykg.compliance.run import checks_from_store
from policykg.store.backend import OxigraphStore

BASE = "https://w3id.org/policykg/"


@pytest.fixture(scope="session")
def policy_store(built_dataset):
    return OxigraphStore.from_file(built_dataset, BASE)


@pytest.fixture(scope="session")
def policy(policy_store):
    return load_policy_norms(policy_store)


@pytest.fixture(scope="session")
def checkset(policy_store):
    return checks_from_store(policy_store)
