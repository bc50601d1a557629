"""The ``policykg`` command: a thin dispatcher.

Each area of the project owns its subcommands in a ``commands`` module exposing
``register(subparsers)``; every subcommand sets ``func`` to a callable taking the
parsed arguments and returning an exit status.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from policykg import __version__
# Re-exported: subcommands raise policykg.cli.UserError. It lives in its own module so that
# `python -m policykg.cli` (which imports this file twice) still catches it.
from policykg.errors import UserError  # noqa: F401

# Modules that contribute subcommands, in the order they appear in --help.
COMMAND_MODULES = (
    "policykg.loader.commands",     # build, clauses, validate
    "policykg.ontology.commands",   # docs, check-ontology
    "policykg.serve.commands",      # serve
    "policykg.store.commands",      # load
    "policykg.queries.commands",    # query, graph
    "policykg.compliance.commands",  # check, generate-register, register-template
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="policykg",
        description="Knowledge graph and SPARQL service over a Chinese public policy.",
    )
    parser.add_argument("--version", action="version", version=f"policykg {__version__}")
    parser.add_argument("--base", help="base IRI for minted IRIs (default: POLICYKG_BASE or built-in)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except UserError as exc:
        print(f"policykg {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
