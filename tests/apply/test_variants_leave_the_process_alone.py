"""score_variants leaves the process as it found it: numpy's error modes (importing cyvcf2 set invalid="ignore")
and htslib's log level (its warnings were off for the rest of the session)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("cyvcf2")

SCRIPT = textwrap.dedent(
    """
    import sys
    import numpy as np
    from dnalm.apply.variants import score_variants

    model, folder = sys.argv[1], sys.argv[2]
    rng = np.random.default_rng(0)
    g = np.frombuffer(b"ACGT", dtype=np.uint8)[rng.integers(0, 4, 600)].tobytes().decode()
    open(f"{folder}/g.fa", "w").write(f">chr1\\n{g}\\n")
    head = "##fileformat=VCFv4.2\\n#CHROM\\tPOS\\tID\\tREF\\tALT\\tQUAL\\tFILTER\\tINFO\\n"  # chr1 undeclared
    alt = "A" if g[100] != "A" else "C"
    open(f"{folder}/v.vcf", "w").write(head + f"chr1\\t101\\ta\\t{g[100]}\\t{alt}\\t.\\t.\\t.\\n")
    before = np.geterr()
    score_variants(model, f"{folder}/v.vcf", f"{folder}/g.fa", f"{folder}/out.tsv")
    print("seterr kept:", np.geterr() == before, flush=True)
    from cyvcf2 import VCF

    list(VCF(f"{folder}/v.vcf"))  # htslib warns of the undeclared contig again, as it does by default
    """
)


def test_variants_put_back_numpys_error_modes_and_htslibs_warnings(model, tmp_path):
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(model), str(tmp_path)],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "seterr kept: True" in out.stdout
    assert "[W::" in out.stderr and "chr1" in out.stderr.split("[W::", 1)[1]
