"""The model named once (ModelRef), trust_remote_code always explicit, tokenizer capabilities, --target."""

from __future__ import annotations

import ast
import csv
import importlib.util
import json
import re
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from dnalm.cli import app

SRC = Path(__file__).resolve().parents[2] / "src" / "dnalm"
MODEL_COMMANDS = (
    "finetune",
    "evaluate",
    "predict",
    "scan",
    "variants",
    "interpret",
    "embed",
    "lm-eval",
    "fill-mask",
    "pretrain",
)


def _calls(name: str):
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == name:
                yield path, node


def test_every_from_pretrained_in_src_says_whether_to_trust_remote_code():
    seen, missing = 0, []
    for path, node in _calls("from_pretrained"):
        seen += 1
        if not any(k.arg == "trust_remote_code" for k in node.keywords):
            missing.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert seen >= 8 and not missing, f"from_pretrained without trust_remote_code=: {missing}"


def test_no_tokenizer_kind_is_compared_outside_the_tokenizers_package():
    kinds = {"kmer", "nonoverlap", "base", "bpe"}
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if "tokenizers" in path.relative_to(SRC).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Compare) and re.search(r"\bkind\b", ast.unparse(node)):
                strings = {c.value for c in ast.walk(node) if isinstance(c, ast.Constant)}
                if strings & kinds:
                    found.append(f"{path.relative_to(SRC)}:{node.lineno}: {ast.unparse(node)}")
            if (
                isinstance(node, ast.Call)
                and ast.unparse(node.func) in ("getattr", "hasattr")
                and any(isinstance(a, ast.Constant) and a.value == "kind" for a in node.args)
            ):
                found.append(f"{path.relative_to(SRC)}:{node.lineno}: {ast.unparse(node)}")
    assert not found, "ask the tokenizer's capabilities instead: " + "; ".join(found)


def test_tokenizers_state_their_capabilities():
    from dnalm.tokenizers import BaseTokenizer, KmerTokenizer, NonOverlappingKmerTokenizer, capabilities
    from dnalm.tokenizers.bpe import train_bpe

    kmer, base, non = capabilities(KmerTokenizer(k=4)), capabilities(BaseTokenizer()), None
    non = capabilities(NonOverlappingKmerTokenizer(k=3))
    bpe = capabilities(train_bpe(["ACGTACGTTTGACCA" * 20] * 10, vocab_size=40))
    assert (kmer.per_base, kmer.bases_per_token, kmer.overlap, kmer.needs_span_masking) == (True, 4, 3, True)
    assert (base.per_base, base.bases_per_token, base.overlap, base.needs_span_masking) == (True, 1, 0, False)
    assert (non.per_base, non.bases_per_token, non.overlap) == (False, 3, 0)
    assert (bpe.per_base, bpe.bases_per_token, bpe.overlap, bpe.needs_span_masking) == (False, None, 0, False)


def test_a_model_reference_is_resolved_once_into_its_kind(tmp_path, dnabert_checkpoint):
    from dnalm.models.ref import ModelRef

    (tmp_path / "m.yaml").write_text("preset: tiny\nlearning_rate: 0.01\n")
    preset, shipped = ModelRef.resolve("tiny"), ModelRef.resolve("dnalm-mini")
    yaml_ref, folder = ModelRef.resolve(str(tmp_path / "m.yaml")), ModelRef.resolve(str(dnabert_checkpoint))
    hub = ModelRef.resolve("someone/some-model")  # nothing fetched until it is loaded
    assert [r.kind for r in (preset, shipped, yaml_ref, folder, hub)] == ["preset", "shipped", "yaml", "folder", "hub"]
    assert preset.config is None and preset.spec.tokenizer == "kmer" and preset.spec is not preset.spec  # copies
    assert yaml_ref.finetune_defaults["learning_rate"] == 0.01 and yaml_ref.architecture == "bert"
    assert shipped.has_mlm_head and not shipped.has_trained_classifier and Path(shipped.path).is_dir()
    assert folder.architecture == "bert" and folder.has_mlm_head and str(folder) == str(dnabert_checkpoint)
    assert ModelRef.resolve(folder) is folder
    with pytest.raises(ValueError, match="is a preset .* needs a saved model folder"):
        preset.checkpoint("predict")
    with pytest.raises(FileNotFoundError, match="not found"):
        ModelRef.resolve(str(tmp_path / "nope" / "model"))


@pytest.fixture(scope="module")
def remote_code_folder(tmp_path_factory):
    """A checkpoint whose config.json maps to Python shipped with it; that code leaves a marker if it runs."""
    root = tmp_path_factory.mktemp("remote")
    folder = root / "custom"
    folder.mkdir()
    marker = root / "code-ran"
    auto = ("AutoConfig", "AutoModel", "AutoModelForMaskedLM", "AutoModelForSequenceClassification")
    config = {"model_type": "dnalm-remote-test", "architectures": ["CustomModel"]}
    config["auto_map"] = {a: f"custom_code.{'CustomConfig' if a == 'AutoConfig' else 'CustomModel'}" for a in auto}
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "custom_code.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    (folder / "vocab.txt").write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *"ACGTN"]) + "\n")
    (folder / "dnalm_tokenizer.json").write_text(json.dumps({"type": "base", "model_max_length": 64}))
    (root / "in.fa").write_text(">a\nACGTACGTAC\n")
    (root / "data.csv").write_text("sequence,label\n" + "".join(f"ACGTACGTAC,{i % 2}\n" for i in range(8)))
    (root / "g.fa").write_text(">chr1\n" + "ACGT" * 50 + "\n")
    (root / "v.vcf").write_text(
        "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\nchr1\t5\t.\tA\tC\t.\t.\t.\n"
    )
    return folder, marker


def _args(command: str, folder: Path) -> list[str]:
    root, m = folder.parent, str(folder)
    return {
        "finetune": ["finetune", str(root / "data.csv"), "--model", m, "-o", str(root / "ft")],
        "evaluate": ["evaluate", m, str(root / "data.csv"), "-o", str(root / "ev")],
        "predict": ["predict", m, str(root / "in.fa"), "-o", str(root / "p.tsv")],
        "scan": ["scan", m, str(root / "g.fa"), "-o", str(root / "s.bedGraph")],
        "variants": ["variants", m, str(root / "v.vcf"), "--genome", str(root / "g.fa"), "-o", str(root / "v.tsv")],
        "interpret": ["interpret", m, str(root / "in.fa"), "-o", str(root / "int")],
        "embed": ["embed", m, str(root / "in.fa"), "-o", str(root / "e.npy")],
        "lm-eval": ["lm-eval", m, str(root / "corpus"), "-o", str(root / "lm.json")],
        "fill-mask": ["fill-mask", m, "ACG<mask>TACG"],
        "pretrain": ["pretrain", str(root / "corpus"), "-o", str(root / "pt"), "--model", m],
    }[command]


@pytest.mark.parametrize("command", MODEL_COMMANDS)
def test_a_checkpoint_with_its_own_code_is_refused_in_one_line_without_a_prompt(remote_code_folder, command):
    folder, marker = remote_code_folder
    result = CliRunner().invoke(app, _args(command, folder), input="y\n")
    lines = result.output.strip().splitlines()
    assert result.exit_code == 2, result.output
    assert "--trust-remote-code" in lines[-1] and str(folder) in lines[-1] and lines[-1].startswith("error:")
    assert "Do you wish to run the custom code" not in result.output and not marker.exists()


@pytest.mark.parametrize("command", MODEL_COMMANDS)
def test_every_model_command_takes_trust_remote_code(command):
    result = CliRunner().invoke(app, [command, "--help"], terminal_width=200)
    assert "--trust-remote-code" in result.output


@pytest.fixture(scope="module")
def promoter_model(tmp_path_factory):
    """An untrained two-class CNN whose labels are promoter/random (no label reads as 'positive')."""
    from dnalm.models.build import build_model

    out = tmp_path_factory.mktemp("promoter")
    model, tok, _ = build_model("pos-cnn", num_labels=2, id2label={0: "promoter", 1: "random"}, seed=0)
    model.config.dnalm_train_max_tokens = 42
    model.save_pretrained(out / "m")
    tok.save_pretrained(out / "m")
    rng = np.random.default_rng(0)
    genome = "".join(rng.choice(list("ACGT"), 400))
    (out / "g.fa").write_text(f">chr1\n{genome}\n")
    (out / "in.fa").write_text(f">a\n{genome[:40]}\n>b\n{genome[100:140]}\n")
    (out / "v.vcf").write_text(
        "##fileformat=VCFv4.2\n##contig=<ID=chr1,length=400>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
        + "".join(
            f"chr1\t{p}\tv{p}\t{genome[p - 1]}\t{'A' if genome[p - 1] != 'A' else 'C'}\t.\t.\t.\n" for p in (50, 200)
        )
    )
    return out


def _bedgraph(path: Path) -> tuple[str, np.ndarray]:
    lines = path.read_text().splitlines()
    return lines[0], np.array([float(line.split("\t")[3]) for line in lines[1:]])


def test_scan_target_chooses_the_class_and_the_track_names_it(promoter_model, tmp_path):
    m = str(promoter_model / "m")
    runs = {}
    for target in ("promoter", "random"):
        out = tmp_path / f"{target}.bedGraph"
        args = ["scan", m, str(promoter_model / "g.fa"), "-o", str(out), "--target", target]
        args += ["--peaks", str(tmp_path / f"{target}.bed")]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        assert f"P({target})" in result.output
        runs[target] = _bedgraph(out)
        assert runs[target][0].startswith(f'track type=bedGraph name="P({target})"')
        assert f'name="P({target})"' in (tmp_path / f"{target}.bed").read_text().splitlines()[0]
    np.testing.assert_allclose(runs["promoter"][1] + runs["random"][1], 1.0, atol=1e-4)
    assert len(runs["promoter"][1]) > 5 and not np.allclose(runs["promoter"][1], 0.5)


def test_an_unknown_target_is_refused_naming_the_labels(promoter_model, tmp_path):
    for args in (
        ["scan", str(promoter_model / "m"), str(promoter_model / "g.fa"), "-o", str(tmp_path / "s.bedGraph")],
        ["interpret", str(promoter_model / "m"), str(promoter_model / "in.fa"), "-o", str(tmp_path / "i")],
    ):
        result = CliRunner().invoke(app, [*args, "--target", "enhancer"])
        assert result.exit_code == 2
        assert "'enhancer' is not a class of this model; its labels: promoter, random" in result.output


def test_the_default_target_is_documented_and_announced(promoter_model, tmp_path, caplog):
    from dnalm.apply.scan import scan_genome

    with caplog.at_level("WARNING"):
        r = scan_genome(str(promoter_model / "m"), promoter_model / "g.fa", tmp_path / "s.bedGraph")
    assert (
        r.positive_label == "random"
        and "scoring P(random)" in caplog.text
        and "choose the class with target=" in caplog.text
    )  # (its Python argument)
    assert 'name="P(random)"' in (tmp_path / "s.bedGraph").read_text().splitlines()[0]
    for command in ("scan", "variants", "interpret"):  # (the CLI sets up logging anew: after caplog's check)
        text = " ".join(CliRunner().invoke(app, [command, "--help"]).output.replace("│", " ").split())
        assert "--target" in text and "else the model's second label (labels promoter/random: random)" in text


def test_variants_target_flips_the_sign_and_the_header_says_which_class(promoter_model, tmp_path):
    pytest.importorskip("cyvcf2")
    deltas = {}
    for target in ("promoter", "random"):
        out = tmp_path / f"{target}.tsv"
        args = ["variants", str(promoter_model / "m"), str(promoter_model / "v.vcf"), "--genome"]
        args += [str(promoter_model / "g.fa"), "-o", str(out), "--target", target, "--window", "40"]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        assert f"log-odds of P({target})" in result.output
        lines = out.read_text().splitlines(keepends=True)
        assert lines[0].startswith("# dnalm variants") and f"log-odds of P({target})" in lines[0]
        deltas[target] = np.array([float(r["delta"]) for r in csv.DictReader(lines[1:], delimiter="\t")])
    assert len(deltas["promoter"]) == 2
    np.testing.assert_allclose(deltas["promoter"], -deltas["random"], atol=1e-3)


def test_interpret_target_explains_the_chosen_class(promoter_model, tmp_path):
    from dnalm.interpret.attributions import interpret_file

    got = {}
    for target in ("promoter", "random"):
        r = interpret_file(str(promoter_model / "m"), promoter_model / "in.fa", tmp_path / target, target=target)
        data = np.load(tmp_path / target / "attributions.npz")
        assert r["target"] == target and str(data["target"]) == target
        got[target] = data["importance_0"]
    np.testing.assert_allclose(got["promoter"], -got["random"], atol=1e-4)


def test_a_model_of_three_classes_scores_the_class_target_names(promoter_model, tmp_path):
    """scan, variants and interpret refused every model of more than two classes; now --target names the class,
    scored by its probability and its log-odds against the other classes together (without it: refused)."""
    import torch

    from dnalm.interpret.attributions import _log_odds_module, _lookup_mode
    from dnalm.models.build import build_model, load_model

    labels = {0: "enhancer", 1: "promoter", 2: "random"}
    model, tok, _ = build_model("pos-cnn", num_labels=3, id2label=labels, seed=0)
    model.config.dnalm_train_max_tokens = 42
    model.save_pretrained(tmp_path / "three")
    tok.save_pretrained(tmp_path / "three")
    scan = ["scan", str(tmp_path / "three"), str(promoter_model / "g.fa"), "-o", str(tmp_path / "s.bedGraph")]
    result = CliRunner().invoke(app, scan)
    assert result.exit_code == 2 and "3 classes (enhancer, promoter, random): choose the one" in result.output
    total = 0
    for label in labels.values():
        scan[-1] = str(tmp_path / f"{label}.bedGraph")
        assert CliRunner().invoke(app, [*scan, "--target", label]).exit_code == 0
        track, values = _bedgraph(tmp_path / f"{label}.bedGraph")
        assert f'name="P({label})"' in track and len(values) > 5
        total = total + values
    np.testing.assert_allclose(total, 1.0, atol=1e-4)  # the three classes' probabilities, window by window
    genome = (promoter_model / "g.fa").read_text().split()[1]
    model, tok = load_model(tmp_path / "three")
    ids = tok([genome[:42]], return_tensors="pt")
    with torch.no_grad(), _lookup_mode(ids["input_ids"]) as lookup:
        p = torch.softmax(model(**ids).logits, -1)[0, 1]
        odds = _log_odds_module(model, 1)(lookup.output, ids["input_ids"], ids["attention_mask"])
    assert odds.item() == pytest.approx(torch.log(p / (1 - p)).item(), abs=1e-4)  # promoter against the others


@pytest.mark.parametrize(
    ("key", "said"),
    [
        ("intermediate_size", "intermediate_size 128 does not fit the weights in model.safetensors"),  # before building
        ("max_position_embeddings", "position_embeddings.weight (checkpoint"),  # named by the load report
    ],
)
def test_a_weight_of_another_shape_is_named_not_pointed_at_a_hidden_report(dnabert_checkpoint, tmp_path, key, said):
    import shutil

    folder = tmp_path / "edited"
    shutil.copytree(dnabert_checkpoint, folder)
    config = json.loads((folder / "config.json").read_text())
    config[key] *= 2
    (folder / "config.json").write_text(json.dumps(config))
    result = CliRunner().invoke(app, ["fill-mask", str(folder), "ACGTAC<mask>GTACGT"])
    assert result.exit_code == 2, result.output
    assert said in " ".join(result.output.split()), result.output
    assert "above report" not in result.output


def test_a_model_worse_than_uniform_is_called_so():
    from dnalm.lm.evaluate import describe, verdict

    lm = {
        "bits_per_base": 2.4,
        "markov_bits_per_base": 2.6,
        "context_count_bits_per_base": 2.5,
        "beats_markov": True,
        "beats_context_count": True,
        "uniform_bits_per_base": 2.0,
        "n_bases": 100,
        "masked_base_accuracy": 0.2,
        "markov_order": 3,
        "context_count_k": 2,
    }
    lm["verdict"] = verdict(lm)
    assert "worse than the uniform baseline" in describe(lm) and "context" not in lm["verdict"]


@pytest.fixture(scope="module")
def value_model(tmp_path_factory):
    """An untrained regression CNN whose output is shifted by 100: a value no probability's log-odds reaches."""
    import torch

    from dnalm.models.build import build_model

    out = tmp_path_factory.mktemp("value") / "m"
    model, tok, _ = build_model("pos-cnn", num_labels=1, id2label={0: "value"}, problem_type="regression", seed=0)
    last = [m for m in model.modules() if isinstance(m, torch.nn.Linear)][-1]
    with torch.no_grad():
        last.bias += 100.0
    model.config.dnalm_train_max_tokens = 42
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out


def test_scan_variants_and_interpret_score_a_regression_models_value(value_model, promoter_model, tmp_path):
    """They refused every regression model; now its predicted value is scored as it is (no log-odds), named
    'predicted value' in every output, and peaks need a threshold in the model's units."""
    pytest.importorskip("cyvcf2")
    from dnalm.apply.predict import iter_scores
    from dnalm.models.build import load_model

    m, g = str(value_model), str(promoter_model / "g.fa")
    scan = ["scan", m, g, "-o", str(tmp_path / "s.bedGraph"), "--strand", "plus"]
    refused = CliRunner().invoke(app, [*scan, "--peaks", str(tmp_path / "p.bed")])
    assert refused.exit_code == 2 and "no default peak threshold; give --threshold" in refused.output
    assert not (tmp_path / "s.bedGraph").exists()
    result = CliRunner().invoke(app, [*scan, "--peaks", str(tmp_path / "p.bed"), "--threshold", "-1e6"])
    assert result.exit_code == 0, result.output
    assert "predicted value on plus strand(s)" in result.output
    peak = (tmp_path / "p.bed").read_text().splitlines()[1].split("\t")
    assert peak[4] == "0" and float(peak[6]) > 50  # BED's 0-1000 score: none for a value (it was 1000 x value)
    track, values = _bedgraph(tmp_path / "s.bedGraph")
    assert 'name="predicted value"' in track and 'name="predicted value"' in (tmp_path / "p.bed").read_text()
    model, tok = load_model(value_model)
    genome = (promoter_model / "g.fa").read_text().split()[1]
    first = next(iter(iter_scores(model, tok, [genome[:42]], max_tokens=None)))[0][0]
    assert first > 50 and values[0] == pytest.approx(first, rel=1e-4)  # the value itself, not a log-odds

    out = tmp_path / "v.tsv"
    args = ["variants", m, str(promoter_model / "v.vcf"), "--genome", g, "-o", str(out), "--window", "40"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    lines = out.read_text().splitlines(keepends=True)
    assert "score = predicted value; delta = score_alt - score_ref" in lines[0]
    rows = list(csv.DictReader(lines[1:], delimiter="\t"))
    assert len(rows) == 2 and all(r["status"] == "ok" and float(r["score_ref"]) > 50 for r in rows)
    for r in rows:
        assert float(r["delta"]) == pytest.approx(float(r["score_alt"]) - float(r["score_ref"]), abs=1e-4)

    from dnalm.interpret.attributions import interpret_file, saturation_mutagenesis

    r = interpret_file(m, promoter_model / "in.fa", tmp_path / "i", limit=1)
    assert r["target"] == "value" and r["score"] == "predicted value"
    seq = (promoter_model / "in.fa").read_text().split()[1]
    ism = saturation_mutagenesis(model, tok, [seq])[0]
    mutant = ("C" if seq[5] != "C" else "G") + seq[6:]
    (ref_score,), (alt_score,) = (s for s, _ in iter_scores(model, tok, [seq, seq[:5] + mutant], max_tokens=None))
    assert ism[5, "ACGT".index(mutant[0])] == pytest.approx(alt_score - ref_score, abs=1e-3)  # values, not log-odds


@pytest.mark.parametrize(
    "key", ["auto_map", "model_type", "architectures", "trust_remote_code", "vocab_size", "max_position_embeddings"]
)
def test_a_model_yaml_cannot_set_what_is_not_an_architecture_setting(tmp_path, key):
    """config: {auto_map: ...} in a model YAML rode into the fine-tuned model's config.json (which dnalm then
    refused to load, and plain transformers would read as remote code); model_type failed in AutoConfig (exit 1)."""
    from dnalm.models.ref import ModelRef

    (tmp_path / "m.yaml").write_text(
        f"preset: tiny\nconfig:\n  {key}: {{AutoModel: evil.Evil}}\n  num_hidden_layers: 1\n"
    )
    with pytest.raises(ValueError, match=rf"m.yaml: config.{key} is not an architecture setting"):
        ModelRef.resolve(str(tmp_path / "m.yaml"))


def test_a_hub_id_with_the_hub_switched_off_says_so(monkeypatch, tmp_path):
    """HF_HUB_OFFLINE=1 with a hub id never downloaded gave the hub client's generic text, naming neither the model
    nor the setting."""
    from huggingface_hub import constants

    from dnalm.models.ref import hub_file

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    with pytest.raises(ValueError, match=r"model 'nobody/no-such-dna-model' is not a local folder, and HF_HUB_OFFLINE"):
        hub_file("nobody/no-such-dna-model", "config.json")


def test_a_model_yaml_setting_the_architecture_does_not_have_is_refused(tmp_path):
    """preset: cnn-gb with config: {embedding_size: 8} was accepted and ignored (the setting is embedding_dim)."""
    from dnalm.models.build import build_model

    (tmp_path / "gb.yaml").write_text("preset: cnn-gb\nconfig: {embedding_size: 8}\n")
    with pytest.raises(
        ValueError, match=r"unknown architecture setting\(s\) 'embedding_size' .*did you mean 'embedding_dim'"
    ):
        build_model(str(tmp_path / "gb.yaml"), num_labels=2, seed=0)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("{hidden_dropout_prob: 1.5}", "hidden_dropout_prob must be a number from 0 to 1; got 1.5"),
        ("{layer_norm_eps: .nan}", "layer_norm_eps must be a finite number of at least 0; got nan"),
        ("{hidden_act: rleu}", "hidden_act must be one of "),
        ("{use_cache: 'no'}", "use_cache must be true or false; got 'no'"),
        ("{num_hidden_layers: two}", "num_hidden_layers must be a whole number of at least 1; got 'two'"),
        ("{hiden_size: 64}", r"unknown architecture setting\(s\) 'hiden_size' .*did you mean 'hidden_size'"),
    ],
)
def test_an_architecture_value_no_model_can_take_is_refused_before_any_work(tmp_path, config, message):
    """hidden_dropout_prob: 1.5 in a model YAML or in finetune's model_config failed in torch ("dropout probability
    has to be between 0 and 1") once the data was read, naming neither the file nor the setting."""
    from dnalm.models.ref import ModelRef

    (tmp_path / "m.yaml").write_text(f"preset: tiny\nconfig: {config}\n")
    with pytest.raises(ValueError, match=rf"m\.yaml: config: (architecture setting )?{message}"):
        ModelRef.resolve(str(tmp_path / "m.yaml"))
    (tmp_path / "ft.yaml").write_text(f"model: tiny\nmodel_config: {config}\n")
    data = tmp_path / "data.csv"
    data.write_text("sequence,label\n" + "".join(f"{'ACGT' * 5},{i % 2}\n" for i in range(20)))
    result = CliRunner().invoke(app, ["finetune", str(data), "--config", str(tmp_path / "ft.yaml"), "-o", "o"])
    assert result.exit_code == 2 and re.search(
        rf"ft\.yaml: model_config: (architecture setting )?{message}", result.output
    )
    assert "validation" not in result.output and not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("edit", "message"),
    [  # each ran to the end with exit 0 (a wrong answer), or failed in torch naming no file (IndexError)
        ({"id2label": {"0": "tata", "1": "tata"}, "label2id": {"tata": 1}}, "id2label names label 'tata' twice"),
        ({"problem_type": "regression"}, "problem_type regression with 2 outputs"),
        ({"problem_type": "single_label_classification", "id2label": {"0": "x"}, "label2id": {"x": 0}}, "of 1 class"),
        ({"base_token_ids": [5, 6, 7, 99]}, r"base_token_ids: token id 99 is outside 0\.\.9"),
        ({"complement_ids": [0, 1]}, "complement_ids must give each of the 10 tokens its complement"),
        ({"dnalm_train_max_tokens": -5}, "dnalm_train_max_tokens must be a whole number; got -5"),
        ({"dnalm_train_max_bases": "long"}, "dnalm_train_max_bases must be a whole number; got 'long'"),
    ],
)
def test_a_config_json_whose_head_or_token_ids_cannot_be_right_is_refused_naming_it(
    promoter_model, tmp_path, edit, message
):
    """Two ids of one label: predict wrote two prob_tata columns and called every sequence tata; a regression head of
    two outputs: predict wrote the first and dropped the other; base_token_ids past the vocabulary: IndexError."""
    import shutil

    folder = tmp_path / "m"
    shutil.copytree(promoter_model / "m", folder)
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, **edit}))
    out = tmp_path / "p.tsv"
    result = CliRunner().invoke(app, ["predict", str(folder), str(promoter_model / "in.fa"), "-o", str(out)])
    assert result.exit_code == 2 and re.search(rf"m/config\.json: .*{message}", result.output), result.output
    assert not out.exists()


def test_a_bare_preset_or_shipped_name_is_dnalms_whatever_the_folder_holds(tmp_path, monkeypatch, caplog):
    """A folder ./dnalm-cnn was loaded in place of the shipped checkpoint that the default recipe starts from by
    name (its head kept, the log still saying "shipped"), and a file of that name made the default finetune fail;
    a preset name hid a saved model folder without a word."""
    import logging

    from dnalm import settings
    from dnalm.models.ref import ModelRef
    from dnalm.models.shipped import pretrained_path

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(settings, "_SAID_BESIDE", set())
    (tmp_path / "dnalm-cnn").mkdir()
    (tmp_path / "dnalm-cnn" / "config.json").write_text("{}")
    (tmp_path / "dnalm-mini").write_text("a file of the user's\n")
    (tmp_path / "cnn").mkdir()
    with caplog.at_level(logging.WARNING, logger="dnalm"):
        for name in ("dnalm-cnn", "dnalm-mini"):
            ref = ModelRef.resolve(name)
            assert ref.kind == "shipped" and Path(ref.path) == Path(pretrained_path(name))
        preset = ModelRef.resolve("cnn")
    assert (
        "dnalm-cnn is dnalm's shipped checkpoint; dnalm-cnn here is not used (give ./dnalm-cnn for it)" in caplog.text
    )
    assert "cnn is dnalm's preset; cnn here is not used" in caplog.text
    with pytest.raises(ValueError, match=r"needs a saved model folder; for the folder cnn here, give ./cnn"):
        preset.checkpoint("predict")
    assert ModelRef.resolve("./dnalm-cnn").kind == "folder"


@pytest.mark.parametrize("command", ["predict", "scan", "interpret"])
def test_a_settings_file_given_as_the_model_is_called_so(tmp_path, command):
    """predict m/dnalm_config.yaml said "unknown key 'model' ... valid: preset, architecture, ...": the user was sent
    to fix a model YAML's keys instead of giving the folder."""
    from dnalm.models.ref import ModelRef

    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "config.json").write_text("{}")
    (tmp_path / "m" / "dnalm_config.yaml").write_text("model: cnn\nepochs: 3\n")
    with pytest.raises(
        ValueError, match=r"dnalm_config.yaml is a file of the model folder .*m, not a model YAML .*: give the folder"
    ):
        ModelRef.resolve(str(tmp_path / "m" / "dnalm_config.yaml"))
    (tmp_path / "ck.yaml").write_text("checkpoint_interval: 0\n")
    (tmp_path / "x.fa").write_text(">a\n" + "ACGT" * 30 + "\n")
    res = CliRunner().invoke(
        app, [command, str(tmp_path / "ck.yaml"), str(tmp_path / "x.fa"), "-o", str(tmp_path / "o")]
    )
    assert res.exit_code == 2 and "ck.yaml is not a model YAML" in res.output and "--config" in res.output, res.output


def test_a_target_written_as_training_wrote_its_label_is_that_class(promoter_model):
    """--target 1.0 was refused although training stores the label 1.0 as 1 (so predict names it prob_1)."""
    from dnalm.apply.target import target_class
    from dnalm.models.build import build_model

    model, _, _ = build_model("pos-cnn", num_labels=2, id2label={0: "0", 1: "1"}, seed=0)
    assert target_class(model, "1.0") == target_class(model, " 1") == (1, "1")
    with pytest.raises(ValueError, match=r"target='2.0' is not a class of this model; its labels: 0, 1"):
        target_class(model, "2.0")


def test_trusting_a_checkpoints_code_is_warned_once(remote_code_folder):
    """The warning that trust_remote_code runs the folder's code was printed twice (resolved, then loaded)."""
    import warnings

    from dnalm.models.ref import ModelRef

    folder, _ = remote_code_folder
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        ref = ModelRef.resolve(str(folder), trust_remote_code=True)
        ref.check_trust()
        ModelRef.resolve(str(folder), trust_remote_code=True).check_trust()
    assert sum("runs Python code shipped with" in str(w.message) for w in seen) == 1


def test_an_unfinished_run_given_as_the_model_is_called_so(tmp_path, monkeypatch):
    """predict mk (while only mk.partial existed) said "not a preset ...", and predict mk.partial "not a model
    checkpoint": neither said it was a run that had not finished."""
    from dnalm.models.ref import ModelRef

    monkeypatch.chdir(tmp_path)
    (tmp_path / "mk.partial").mkdir()
    (tmp_path / "mk.partial" / "PARTIAL_RUN.txt").write_text("an unfinished dnalm run\n")
    for given in ("mk", "mk.partial", str(tmp_path / "mk")):
        with pytest.raises((ValueError, FileNotFoundError), match=r"is what an unfinished run writing .*mk left"):
            ModelRef.resolve(given)


def test_a_numeric_target_in_python_names_the_label_of_that_number(promoter_model, tmp_path):
    """target=1 where the labels are 0, 1 and 2 was refused ("must be text"), though a table's labels 0/1 are read
    as text; a number is its label's text (2.0 as 2, as --target 2.0), and True is no label."""
    from dnalm.apply.scan import scan_genome
    from dnalm.models.build import build_model

    model, tok, _ = build_model("pos-cnn", num_labels=3, id2label={0: "0", 1: "1", 2: "2"}, seed=0)
    model.config.dnalm_train_max_tokens = 42
    model.save_pretrained(tmp_path / "m")
    tok.save_pretrained(tmp_path / "m")
    genome = promoter_model / "g.fa"
    for target in (2, np.int64(2), 2.0):
        result = scan_genome(str(tmp_path / "m"), genome, tmp_path / "s.bedGraph", target=target, overwrite=True)
        assert result.score == "P(2)" and result.positive_label == "2"
        assert _bedgraph(tmp_path / "s.bedGraph")[0].startswith('track type=bedGraph name="P(2)"')
    with pytest.raises(ValueError, match=r"target \(--target\) must be text; got True"):
        scan_genome(str(tmp_path / "m"), genome, tmp_path / "t.bedGraph", target=True)
    from dnalm.interpret.attributions import interpret_file

    assert interpret_file(str(tmp_path / "m"), promoter_model / "in.fa", tmp_path / "i", target=2.0)["target"] == "2"
    if importlib.util.find_spec("cyvcf2"):
        from dnalm.apply.variants import score_variants

        out = tmp_path / "v.tsv"
        score_variants(str(tmp_path / "m"), promoter_model / "v.vcf", genome, out, window=40, target=np.int64(2))
        assert "log-odds of P(2)" in out.read_text().splitlines()[0]


def test_a_folder_of_training_checkpoints_names_the_last_one(tmp_path):
    """A folder holding only checkpoint-N/ was "not a model checkpoint (no config.json)", with no word of the
    loadable checkpoint inside it."""
    from dnalm.models.ref import ModelRef

    for step in (6, 10):
        (tmp_path / "run" / f"checkpoint-{step}").mkdir(parents=True)
        (tmp_path / "run" / f"checkpoint-{step}" / "config.json").write_text("{}")
    with pytest.raises(ValueError, match=r"no config\.json\); it holds the training checkpoint .*checkpoint-10, which"):
        ModelRef.resolve(str(tmp_path / "run"))


def test_trust_remote_code_for_a_model_without_code_of_its_own_is_said(caplog, tmp_path):
    """--trust-remote-code with a preset, a shipped checkpoint, a model YAML or a folder without auto_map did
    nothing, without a word."""
    import logging

    from dnalm.models import ref as refs
    from dnalm.models.build import build_model
    from dnalm.models.ref import ModelRef

    refs._SAID_TRUST.clear()
    with caplog.at_level(logging.WARNING):
        ModelRef.resolve("cnn", trust_remote_code=True)
        ModelRef.resolve("cnn", trust_remote_code=True)
        ModelRef.resolve("dnalm-mini", trust_remote_code=True)
        ModelRef.resolve("tiny")
        (tmp_path / "m.yaml").write_text("preset: tiny\n")
        ModelRef.resolve(str(tmp_path / "m.yaml"), trust_remote_code=True)
        build_model("cnn", num_labels=2, seed=0)[0].save_pretrained(tmp_path / "folder")
        ModelRef.resolve(str(tmp_path / "folder"), trust_remote_code=True)
    assert "m.yaml: it is a model YAML dnalm builds" in caplog.text
    assert "folder: it is a checkpoint without auto_map in config.json" in caplog.text
    assert caplog.text.count("--trust-remote-code has no effect on cnn: it is a preset") == 1
    assert "--trust-remote-code has no effect on dnalm-mini: it is shipped with dnalm" in caplog.text
    assert "on tiny" not in caplog.text


def test_a_hub_id_without_a_reachable_hub_is_one_line_at_once_or_read_from_the_cache(tmp_path, monkeypatch):
    """Offline, the hub client retried for 25 s and printed 24 lines of its own before a message without the id."""
    import json
    import socket

    import huggingface_hub
    import huggingface_hub.constants

    from dnalm.models import ref as ref_module
    from dnalm.models.ref import ModelRef

    def unreachable(*args, **kwargs):
        raise OSError(-2, "Name or service not known")

    monkeypatch.setattr(socket, "create_connection", unreachable)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    ref_module._hub_unreachable.cache_clear()
    try:
        with pytest.raises(ValueError, match=r"'nobody/nomodel' is not a local folder, .* cannot be reached \(Name or"):
            _ = ModelRef.resolve("nobody/nomodel").config
        (tmp_path / "config.json").write_text(json.dumps({"model_type": "bert", "hidden_size": 8}))
        monkeypatch.setattr(huggingface_hub, "try_to_load_from_cache", lambda repo, name: str(tmp_path / name))
        ref = ModelRef.resolve("somebody/cached")  # downloaded before: loaded from the cache's folder
        assert (ref.path, ref.name, ref.config["hidden_size"]) == (str(tmp_path), "somebody/cached", 8)
        assert huggingface_hub.constants.HF_HUB_OFFLINE is False  # the rest of the process (a notebook) untouched
    finally:
        ref_module._hub_unreachable.cache_clear()


def test_hub_ids_are_still_hub_ids():
    from dnalm.models.build import resolve_spec

    assert resolve_spec("zhihan1996/DNA_bert_6") is None  # loaded from the hub (or its cache) later


def test_commands_that_load_a_classifier_refuse_a_typo_and_a_model_without_a_head(tmp_path):
    """A mistyped model folder fails at once with one line naming the model folders that are there (it
    waited through the hub's retries, ~30 s of warnings, first); a pretrained model without a classifier
    (the shipped dnalm-cnn) is refused instead of predicting with a random head."""
    import time

    from typer.testing import CliRunner

    from dnalm.cli import app
    from dnalm.models.build import build_model

    model, tok, _ = build_model("pos-cnn", num_labels=2, seed=0)
    model.save_pretrained(tmp_path / "models" / "tf0")
    tok.save_pretrained(tmp_path / "models" / "tf0")
    (tmp_path / "x.fa").write_text(">a\nACGTACGTAC\n")
    t0 = time.time()
    r = CliRunner().invoke(app, ["predict", str(tmp_path / "models" / "tf00"), str(tmp_path / "x.fa")])
    assert r.exit_code == 2 and time.time() - t0 < 10
    assert (
        f"model folder {tmp_path / 'models' / 'tf00'} not found" in r.output
        and "tf0" in r.output.split("folders in")[1]
    )
    for command, name in (("predict", "o.tsv"), ("scan", "o.bedGraph")):
        r = CliRunner().invoke(app, [command, "dnalm-cnn", str(tmp_path / "x.fa"), "-o", str(tmp_path / name)])
        assert r.exit_code == 2 and "holds no trained classifier" in r.output, r.output


def _twin_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "here is not used" in r.getMessage()]


def test_auto_is_the_default_recipe_in_every_command_never_a_folder_of_that_name(tmp_path, monkeypatch, caplog):
    """finetune read 'auto' as its recipe without a word about ./auto, while evaluate and the API loaded ./auto."""
    import shutil

    import dnalm.settings
    from dnalm.models.ref import ModelRef, is_auto

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(dnalm.settings, "_SAID_BESIDE", set())
    assert is_auto("auto") and not is_auto("./auto") and not is_auto("tiny") and _twin_warnings(caplog) == []
    with pytest.raises(ValueError, match="'auto' is dnalm's default recipe, which only finetune takes"):
        ModelRef.resolve("auto")
    shutil.copytree(ModelRef.resolve("dnalm-mini").path, tmp_path / "auto")
    with caplog.at_level("WARNING", logger="dnalm"):
        assert is_auto("auto")  # finetune: the recipe, and the folder here is said
        with pytest.raises(ValueError, match=r"only finetune takes .*\(\./auto for the folder here\)"):
            ModelRef.resolve("auto")
    assert _twin_warnings(caplog) == [
        "auto is dnalm's default fine-tuning recipe; auto here is not used (give ./auto for it)"
    ]
    assert ModelRef.resolve("./auto").kind == "folder"


def test_a_folder_named_like_a_yaml_file_is_a_checkpoint_folder(tmp_path):
    import shutil

    from dnalm.models.ref import ModelRef, tokenizer_source

    folder = tmp_path / "m.yaml"
    shutil.copytree(ModelRef.resolve("dnalm-mini").path, folder)
    assert ModelRef.resolve(str(folder)).kind == "folder" and tokenizer_source(str(folder)) == str(folder)
    result = CliRunner().invoke(app, ["predict", str(folder), "ACGT", "-o", str(tmp_path / "p.tsv")])
    assert "YAML file not found" not in result.output


def test_a_pretraining_recipe_name_is_the_recipe_and_a_folder_of_that_name_is_said(tmp_path, monkeypatch, caplog):
    import dnalm.settings
    from dnalm.lm.pretrain import resolve_pretrain_config

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(dnalm.settings, "_SAID_BESIDE", set())
    (tmp_path / "dnabert-cpu").mkdir()
    with caplog.at_level("WARNING", logger="dnalm"):
        cfg = resolve_pretrain_config("dnabert-cpu", None)
    assert cfg.model != "dnabert-cpu"  # the recipe's model
    assert "dnabert-cpu is dnalm's pretraining recipe; dnabert-cpu here is not used" in " ".join(_twin_warnings(caplog))


def test_a_tokenizer_is_named_by_the_model_rule(tmp_path, monkeypatch, caplog):
    """tokenizer check read ./tiny for 'tiny' (every other command: the preset), gave its own message without a
    did-you-mean for a typo, and spent 80 s in hub retries for an unreachable hub id."""
    import shutil
    import time

    import dnalm.models.ref
    import dnalm.settings
    from dnalm.models.ref import ModelRef, tokenizer_source

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(dnalm.settings, "_SAID_BESIDE", set())
    shutil.copytree(ModelRef.resolve("dnalm-mini").path, tmp_path / "tiny")
    with (
        caplog.at_level("WARNING", logger="dnalm"),
        pytest.raises(ValueError, match=r"tiny is a preset: .*\(\./tiny for the folder here\)"),
    ):
        tokenizer_source("tiny")
    assert _twin_warnings(caplog) == ["tiny is dnalm's preset; tiny here is not used (give ./tiny for it)"]
    assert Path(tokenizer_source("./tiny")) == Path("tiny")
    assert Path(tokenizer_source("dnalm-mini")) == Path(ModelRef.resolve("dnalm-mini").path)
    with pytest.raises(ValueError, match="did you mean 'tiny'"):
        tokenizer_source("Tiny")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no tokenizer in this folder"):
        tokenizer_source("empty")
    monkeypatch.setattr(dnalm.models.ref, "_hub_unreachable", lambda endpoint: "Name or service not known")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match="'nobody/nomodel' is not a local folder, and the Hugging Face hub"):
        tokenizer_source("nobody/nomodel")
    assert time.perf_counter() - t0 < 5
