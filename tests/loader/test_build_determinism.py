"""Two builds in separate processes (different hash seeds) are byte-identical."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

# Like the `policykg` console script (`python -m policykg.cli` would load cli.py twice,
# as __main__ and as policykg.cli, and UserError would then escape as a traceback).
RUN_CLI = "import sys; from policykg.cli import main; sys.exit(main())"


@pytest.mark.slow
def test_builds_are_byte_identical(tmp_path):
    suffix = ".trig"  # the other formats share the same canonical, sorted quads (test_build_cli)
    outputs = []
    for seed in ("1", "4242"):
        out = tmp_path / f"kg-{seed}{suffix}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-c", RUN_CLI, "build", "--out", str(out)],
                       check=True, capture_output=True, timeout=300, env=env)
        outputs.append(out.read_bytes())
    assert len(outputs[0]) > 10_000
    assert outputs[0] == outputs[1]
