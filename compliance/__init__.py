"""Checking communities and their workers against the policy's numeric norms.

Registers (CSV / XLSX, one row per community or per community worker) come in; a report that
cites, for every row and every checkable norm, the clause and the exact words comes out.
Nothing here is written per norm: the register columns say which quantity of the ontology they
measure (:mod:`.columns`), and the checks are generated from the norms' typed constraints in
the policy graph (:mod:`.norms`, :mod:`.checks`, :mod:`.shapes`).

    columns.py    the register formats, derived from the norms; the template
    norms.py      the norms with typed constraints, read from the policy graph
    registers.py  reading CSV / XLSX registers, per-row errors
    instances.py  rows as RDF instances in a named graph per register
    checks.py     SPARQL checks generated from the norms, run on pyoxigraph
    shapes.py     the same checks as SHACL shapes, validated with pySHACL
    report.py     the report: per row and norm, summaries, JSON / CSV / XLSX / SHACL results graph
    generator.py  synthetic Suzhou-like registers with a known set of injected findings
"""
