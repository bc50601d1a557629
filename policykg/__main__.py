"""``python -m policykg`` is the ``policykg`` command."""
import sys

from policykg.cli import main

sys.exit(main())
