"""Short forms of tasks (entities.yaml alt_zh) are altLabels, so people can name a task as they say it."""
from __future__ import annotations

import pytest

BASE = "https://w3id.org/policykg/"
TASK = BASE + "id/task/urban-community-party-organization-building"


@pytest.mark.parametrize("name", ["社区党建", "城市社区党建", "社区党组织建设", "城市社区党组织建设"])
def test_task_is_found_by_its_short_forms(resolver, name):
    assert resolver.resolve_one(name)["iri"] == TASK


def test_short_forms_are_alt_labels_not_pref_labels(store):
    rows = store.select(f"""PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        SELECT ?alt WHERE {{ <{TASK}> skos:altLabel ?alt }}""")
    assert {row["alt"].value for row in rows} >= {"社区党建", "社区党组织建设"}
