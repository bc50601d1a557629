"""Benchmark: policykg's SPARQL service against Oxigraph's server and an rdflib endpoint."""
