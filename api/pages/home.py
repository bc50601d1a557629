"""The home page: what the graph holds, a search box, entry points."""
from __future__ import annotations

from policykg.api.pages.blueprint import bp, page
from policykg.api.pages.data import cached, page_rows
from policykg.api.pages.document import documents, main_document
from policykg.api.pages.status import policy_status

COUNTED = ("actors", "relations", "norms", "numeric", "numbers", "clauses")
HOME_EXAMPLES = ("居委会", "居委会归谁领导", "社区党组织书记要做什么", "社区工作经费标准", "谁是第一责任人", "业委会")


def counts() -> dict[str, int]:
    """How many actors, relation statements, norms, numeric norms and clauses the graph holds."""
    def make():
        rows = page_rows("home_counts")
        row = rows[0] if rows else {}
        return {kind: int(row[kind].value) if kind in row else 0 for kind in COUNTED}
    return cached("pages.counts", make)


@bp.route("/")
def home():
    doc = None
    try:
        doc = main_document()
    except Exception:  # noqa: BLE001 - the home page shows what there is
        doc = None
    return page("home.html", active="pages.home", counts=counts(), examples=HOME_EXAMPLES,
                doc=doc, doc_title=dict(documents()).get(doc, "") if doc else "",
                status=policy_status(doc) if doc else None)
