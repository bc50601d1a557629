"""OWL 2 DL check of the ontology (optionally with data) by HermiT, run through owlready2.

owlready2 reads N-Triples most reliably, so the rdflib graph is written to a temporary
N-Triples file first, loaded into a fresh owlready2 ``World`` (never the global default
world) and classified by HermiT (Java). The result is a :class:`ReasonerReport`::

    from policykg.ontology.reasoner import check_ontology
    report = check_ontology()
    report.ok            # True when consistent with no unsatisfiable class
    report.summary()     # one line for the CLI

Java is found on PATH (or ``/usr/bin/java``); :class:`ReasonerUnavailable` is raised when it
is missing so callers (and tests) can skip with that reason.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph

from policykg.ontology import ontology_graph

OWL_NOTHING = "http://www.w3.org/2002/07/owl#Nothing"


class ReasonerUnavailable(RuntimeError):
    """Java (needed by HermiT) is not installed."""


@dataclass
class ReasonerReport:
    consistent: bool
    unsatisfiable: list[str] = field(default_factory=list)
    seconds: float = 0.0
    triples: int = 0
    reasoner: str = "HermiT (owlready2)"
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.consistent and not self.unsatisfiable and self.error is None

    def summary(self) -> str:
        if self.error:
            return f"{self.reasoner}: error: {self.error}"
        state = "consistent" if self.consistent else "INCONSISTENT"
        unsat = (f", {len(self.unsatisfiable)} unsatisfiable class(es): " + ", ".join(self.unsatisfiable)
                 if self.unsatisfiable else ", no unsatisfiable class")
        return f"{self.reasoner}: {state}{unsat} ({self.triples} triples, {self.seconds:.1f} s)"

    def as_dict(self) -> dict:
        return {"reasoner": self.reasoner, "consistent": self.consistent, "unsatisfiable": self.unsatisfiable,
                "seconds": round(self.seconds, 3), "triples": self.triples, "error": self.error, "ok": self.ok}


def find_java() -> str:
    java = shutil.which("java") or ("/usr/bin/java" if os.path.exists("/usr/bin/java") else None)
    if not java:
        raise ReasonerUnavailable("java is not installed (HermiT needs a Java runtime)")
    return java


def _java_error(message: str) -> str:
    """The informative part of a Java stack trace."""
    lines = [line.strip() for line in message.splitlines() if line.strip() and not line.strip().startswith("at ")]
    useful = [line for line in lines if "Exception" in line or "Error" in line and "Java error" not in line]
    return " ".join((useful or lines or ["unknown Java error"])[:3])[:800]


def check_graph(graph: Graph, *, memory_mb: int = 1000) -> ReasonerReport:
    """Run HermiT on ``graph`` (a complete OWL 2 DL graph: ontology plus any data)."""
    import owlready2
    from owlready2 import reasoning

    owlready2.JAVA_EXE = find_java()
    reasoning.JAVA_MEMORY = memory_mb
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="policykg-hermit-") as tmp:
        path = Path(tmp) / "input.nt"
        graph.serialize(destination=path, format="nt", encoding="utf-8")
        world = owlready2.World()
        try:
            onto = world.get_ontology(path.as_uri()).load(format="ntriples")
            try:
                # time:inXSDgYear / time:inXSDDate values (xsd:gYear, xsd:date) are outside the OWL 2
                # datatype map; HermiT treats such literals as opaque instead of failing.
                owlready2.sync_reasoner_hermit(onto, infer_property_values=False, debug=0,
                                               ignore_unsupported_datatypes=True)
            except owlready2.OwlReadyInconsistentOntologyError:
                return ReasonerReport(False, [], time.perf_counter() - started, len(graph))
            except owlready2.OwlReadyJavaError as exc:
                return ReasonerReport(False, [], time.perf_counter() - started, len(graph),
                                      error=_java_error(str(exc)))
            unsatisfiable = sorted(c.iri for c in world.inconsistent_classes() if c.iri != OWL_NOTHING)
        finally:
            world.close()
    return ReasonerReport(True, unsatisfiable, time.perf_counter() - started, len(graph))


def check_ontology(extra: Graph | None = None, *, memory_mb: int = 1000) -> ReasonerReport:
    """HermiT on the ontology files, plus ``extra`` (e.g. a sample of statements) if given."""
    graph = ontology_graph()
    if extra is not None:
        for triple in extra:
            graph.add(triple)
    return check_graph(graph, memory_mb=memory_mb)


__all__ = ["ReasonerReport", "ReasonerUnavailable", "check_graph", "check_ontology", "find_java"]
