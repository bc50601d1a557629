"""policykg: a knowledge graph and SPARQL service over a Chinese public policy."""

__version__ = "0.1.0"
