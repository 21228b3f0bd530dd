"""Faults a careless or hostile user found (the second probe sweep), each as the class it belongs to."""

from __future__ import annotations

import pytest

from dnalm.finetune.config import FinetuneConfig


def test_a_key_written_twice_in_a_settings_file_is_refused(tmp_path):
    from dnalm.settings import load_yaml

    (tmp_path / "c.yaml").write_text("epochs: 1\nmodel: pos-cnn\nepochs: 2\n")
    with pytest.raises(ValueError, match=r"c.yaml:3:1: not valid YAML \(the key 'epochs' is written twice"):
        load_yaml(tmp_path / "c.yaml")
    (tmp_path / "b.yaml").write_text("datasets:\n  tata: a\n  tata: b\nmodels: {m: cnn}\n")  # nested mappings too
    with pytest.raises(ValueError, match="the key 'tata' is written twice"):
        load_yaml(tmp_path / "b.yaml")
    (tmp_path / "l.yaml").write_text("? [a, b]\n: 1\n")  # a list as a key: one line, not a TypeError
    with pytest.raises(ValueError, match=r"l.yaml:1:3: not valid YAML \(found unhashable key\)"):
        load_yaml(tmp_path / "l.yaml")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"seed": 1.5}, r"seed \(--seed\) must be a whole number; got 1.5"),
        ({"max_length": 50.9}, r"max_length \(--max-length\) must be a whole number"),
        ({"lora": "no"}, r"lora \(--lora\) must be true or false; got 'no'"),
        ({"model": None}, r"model \(--model\) must be set; got None"),
        ({"trainer": None}, r"trainer must be set; got None"),
        ({"time_budget": "99999999h"}, r"time_budget \(--time-budget\) must be in \(0, "),
        ({"checkpoint_interval": "5x"}, r"checkpoint_interval '5x' is not a duration"),
        ({"trainer": {"num_train_epochs": 50}}, r"trainer.num_train_epochs is dnalm's to set: use epochs"),
        ({"trainer": {"output_dir": "/tmp/x"}}, r"trainer.output_dir is dnalm's to set"),
    ],
)
def test_settings_of_the_wrong_type_or_owned_by_dnalm_are_one_line(values, message):
    with pytest.raises(ValueError, match=message):
        FinetuneConfig.from_dict(values)


def test_benchmark_seeds_and_search_trials_must_be_whole_numbers():
    from dnalm.experiment.config import BenchmarkConfig, SearchConfig

    for seeds in ([1.5], 3):
        with pytest.raises(ValueError, match="seeds must be a list of whole numbers"):
            BenchmarkConfig.from_dict({"datasets": {"d": "x"}, "models": {"m": "cnn"}, "seeds": seeds})
    with pytest.raises(ValueError, match=r"search.n_trials must be a whole number >= 1; got 0"):
        SearchConfig.from_dict({"method": "optuna", "n_trials": 0, "space": {"learning_rate": [1e-3]}})


def test_class_files_and_data_do_not_mix_and_one_file_is_not_two_classes(tmp_path):
    from dnalm.finetune.data import load_splits

    pos = tmp_path / "pos.fa"
    pos.write_text(">a\nACGTACGT\n>b\nTTGACCAA\n")
    with pytest.raises(ValueError, match=r"give DATA \(.*\) or classes\['LABEL'\]='FASTA' pairs, not both"):
        load_splits(tmp_path, classes={"a": str(pos), "b": str(pos)})
    with pytest.raises(ValueError, match=r"classes\['a'\]='.*pos.fa' and classes\['b'\]='.*pos.fa' name one file"):
        load_splits(None, classes={"a": str(pos), "b": str(pos)})


def test_unreadable_weights_are_one_error_naming_the_file(tmp_path):
    from dnalm.models.build import build_model, load_model

    model, tok, _ = build_model("pos-cnn", num_labels=2, seed=0)
    model.save_pretrained(tmp_path)
    tok.save_pretrained(tmp_path)
    weights = tmp_path / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    with pytest.raises(ValueError, match=r"model.safetensors: the weights cannot be read \(.*\); is the file complete"):
        load_model(tmp_path)


def test_lora_is_refused_for_models_that_are_not_transformers_and_fits_modernbert():
    from dnalm.finetune.trainer import with_lora
    from dnalm.models.build import build_model

    cnn, _, _ = build_model("pos-cnn", num_labels=2, seed=0)
    with pytest.raises(ValueError, match="--lora adapts a transformer's .*pos-cnn is not a transformer"):
        with_lora(cnn, r=4, alpha=8, dropout=0.0, per_base=False)
    pytest.importorskip("peft")
    mini, _, _ = build_model("mini", num_labels=2, seed=0)  # peft has no default target modules for ModernBERT
    adapted = with_lora(mini, r=4, alpha=8, dropout=0.0, per_base=False)
    trainable, total = adapted.get_nb_trainable_parameters()
    assert 0 < trainable < total


def test_a_bare_string_is_not_scored_letter_by_letter():
    from dnalm.apply.predict import predict_proba
    from dnalm.models.build import build_model

    model, tok, _ = build_model("pos-cnn", num_labels=2, seed=0)
    with pytest.raises(TypeError, match=r"give a list of sequences, e.g. \['ACGTACGT'\], not one string"):
        predict_proba(model, tok, "ACGTACGT")
    # an empty sequence was scored (the classes' prior, as if it were a sequence); None and bytes were raw errors
    with pytest.raises(ValueError, match="sequence 1 is empty: there is nothing to score"):
        predict_proba(model, tok, ["ACGT", ""])
    with pytest.raises(TypeError, match="give a list of sequences; got None"):
        predict_proba(model, tok, None)
    for odd, kind in ((None, "NoneType"), (b"ACGT", "bytes")):
        with pytest.raises(TypeError, match=f"sequence 0 is {kind}, not text"):
            predict_proba(model, tok, [odd])


def test_a_bpe_tokenizer_is_trained_on_files_not_a_split_folder(tmp_path):
    from dnalm.tokenizers.build import train_bpe_folder

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "train.csv").write_text("sequence,label\nACGTACGTAC,1\n")
    with pytest.raises(ValueError, match=r"data is a folder: give the files to train on, e.g. .*train.csv"):
        train_bpe_folder([tmp_path / "data"], tmp_path / "bpe")
    assert not (tmp_path / "bpe").exists()


def test_a_deduplicated_copy_is_not_written_inside_its_data(tmp_path):
    from dnalm.audit import write_deduplicated

    data = tmp_path / "data"
    data.mkdir()
    for split in ("train", "dev", "test"):
        (data / f"{split}.csv").write_text("sequence,label\nACGTACGTACGTAAAA,1\nTTTTGGGGCCCCAAAA,0\n")
    with pytest.raises(ValueError, match=r"--dedup .*sub is inside DATA"):
        write_deduplicated(data, data / "sub")
    assert sorted(p.name for p in data.iterdir()) == ["dev.csv", "test.csv", "train.csv"]


def test_integrated_gradients_steps_have_an_upper_bound():
    from dnalm.interpret.settings import InterpretSettings

    with pytest.raises(ValueError, match=r"n_steps \(--n-steps\) must be in \[1, 10000\]"):
        InterpretSettings(n_steps=100_000_000)


def test_a_scan_or_variant_window_shorter_than_one_k_mer_is_refused(tmp_path):
    from dnalm.apply.scan import scan_genome
    from dnalm.apply.variants import score_variants
    from dnalm.models.build import build_model

    model, tok, _ = build_model("tiny", num_labels=2, seed=0, config_overrides={"num_hidden_layers": 1})  # 6-mers
    model.save_pretrained(tmp_path / "m")
    tok.save_pretrained(tmp_path / "m")
    genome = tmp_path / "g.fa"
    genome.write_text(">chr1\n" + "ACGTTGCA" * 20 + "\n")
    with pytest.raises(
        ValueError, match=r"window \(--window\) 5 bases is shorter than one 6-mer token of .*give 6 or more"
    ):
        scan_genome(str(tmp_path / "m"), genome, tmp_path / "s.bedGraph", window=5)
    vcf = tmp_path / "v.vcf"
    vcf.write_text("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\nchr1\t10\tv\tT\tA\t.\t.\t.\n")
    with pytest.raises(ValueError, match=r"window \(--window\) 3 bases is shorter than one 6-mer token"):
        score_variants(str(tmp_path / "m"), vcf, genome, tmp_path / "v.tsv", window=3)
    assert not (tmp_path / "s.bedGraph").exists() and not (tmp_path / "v.tsv").exists()


@pytest.mark.parametrize("model", ["auto", "cnn", "dnalm-cnn"])
def test_lora_on_a_model_that_is_no_transformer_is_refused_before_any_work(tmp_path, model):
    from dnalm.finetune.train import finetune

    (tmp_path / "d.csv").write_text("sequence,label\n" + "ACGTACGTAC,0\nTTTTGGGGCC,1\n" * 10)
    with pytest.raises(ValueError, match=r"lora \(--lora\) adapts a transformer's .* give a transformer"):
        finetune(FinetuneConfig(model=model, lora=True), tmp_path / "d.csv", tmp_path / "out")
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob("*.partial"))


def test_tokenizers_refuse_a_k_that_is_no_whole_number_and_a_missing_folder_is_named(tmp_path):
    from dnalm.tokenizers.dna import KmerTokenizer, NonOverlappingKmerTokenizer, load_tokenizer

    for cls in (KmerTokenizer, NonOverlappingKmerTokenizer):
        for k in ([], 2.5, True, 0):
            with pytest.raises(ValueError, match=r"k must be a whole number between 1 and 12"):
                cls(k=k)
    for missing in (tmp_path / "nope", "./nope", "a/b/c"):
        with pytest.raises(FileNotFoundError, match="no such tokenizer folder"):
            load_tokenizer(missing)


def test_a_config_json_with_a_count_that_is_no_whole_number_names_the_file(tmp_path):
    import json

    from dnalm.models.build import build_model, load_model

    model, tok, _ = build_model("pos-cnn", num_labels=2, seed=0)
    model.save_pretrained(tmp_path)
    tok.save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    for key, value in (("num_labels", "x"), ("hidden_size", 1.5), ("num_labels", -1)):
        (tmp_path / "config.json").write_text(json.dumps({**config, key: value}))
        with pytest.raises(ValueError, match=rf"config.json: {key} must be a whole number; got {value!r}"):
            load_model(tmp_path)
    (tmp_path / "config.json").write_text("[1, 2]")
    with pytest.raises(ValueError, match=r"config.json: not a model configuration \(a JSON object\); got list"):
        load_model(tmp_path)


def test_a_run_refused_for_its_data_leaves_no_empty_partial_folder(tmp_path):
    """The data is read once the output folder is taken: a refusal there left ``OUT.partial`` holding only its
    note, in every failed run's place."""
    from dnalm.finetune.train import finetune

    (tmp_path / "d.csv").write_text("sequence,label\n" + "ACGTACGTAC,0\nTTTTGGGGCC,1\n" * 10 + "ACGTXACGTA,0\n")
    with pytest.raises(ValueError, match="X"):
        finetune(FinetuneConfig(model="cnn", epochs=1), tmp_path / "d.csv", tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv"]


@pytest.mark.parametrize("swap", ["kmer3-vocab", "cut-short", "base-without-T"])
def test_a_tokenizer_folder_whose_vocabulary_is_another_models_is_refused(tmp_path, swap):
    """A vocab.txt from another model read every k-mer as [UNK]: every sequence scored alike, exit 0."""
    from dnalm.tokenizers.dna import BaseTokenizer, KmerTokenizer, load_tokenizer

    tok = BaseTokenizer() if swap == "base-without-T" else KmerTokenizer(k=6)
    tok.save_pretrained(tmp_path / "t")
    lines = (tmp_path / "t" / "vocab.txt").read_text().splitlines()
    lines = {
        "kmer3-vocab": KmerTokenizer(k=3).ids_to_tokens,
        "cut-short": lines[:50],
        "base-without-T": [t for t in lines if t != "T"],
    }[swap]
    (tmp_path / "t" / "vocab.txt").write_text("\n".join(lines) + "\n")
    what = "4 bases A, C, G, T" if swap == "base-without-T" else "4096 6-mers"
    with pytest.raises(
        ValueError, match=rf"t/vocab.txt .*: the vocabulary holds \d+ of the {what}: it belongs to another"
    ):
        load_tokenizer(tmp_path / "t")


def test_a_whole_tokenizer_of_another_model_in_a_model_folder_is_refused(tmp_path):
    from dnalm.models.build import build_model, load_model
    from dnalm.tokenizers.dna import KmerTokenizer

    model, _, _ = build_model("tiny", num_labels=2, seed=0)
    model.save_pretrained(tmp_path / "m")
    KmerTokenizer(k=3).save_pretrained(tmp_path / "m")  # a complete 3-mer tokenizer over a 6-mer model's files
    with pytest.raises(ValueError, match=r"m: the tokenizer has 69 tokens and the model 4101 \(vocab_size in config"):
        load_model(tmp_path / "m")


@pytest.mark.parametrize("left", ["hf-files-only", "single-base-tokenizer-json"])
def test_a_model_folder_whose_tokenizer_reads_dna_as_unknown_or_as_other_ids_is_refused(tmp_path, left):
    """A 6-mer model folder that lost dnalm_tokenizer.json and vocab.txt loaded a stock BertTokenizer that read every
    sequence as one [UNK], and a single-base tokenizer.json copied in read bases as k-mer ids: predict, scan,
    variants and finetune all ran and gave meaningless results with exit 0."""
    import shutil

    from dnalm.models.build import build_model, load_model
    from dnalm.tokenizers.dna import load_tokenizer

    model, tok, _ = build_model("tiny", num_labels=2, seed=0)
    model.save_pretrained(tmp_path / "m")
    tok.save_pretrained(tmp_path / "m")
    (tmp_path / "m" / "dnalm_tokenizer.json").unlink()
    (tmp_path / "m" / "vocab.txt").unlink()
    if left == "single-base-tokenizer-json":
        _, base_tok, _ = build_model("pos-cnn", num_labels=2, seed=0)
        base_tok.save_pretrained(tmp_path / "b")
        shutil.copy(tmp_path / "b" / "tokenizer.json", tmp_path / "m" / "tokenizer.json")
    refused = r"m: (its tokenizer \(\w+\) reads DNA as unknown tokens only|the tokenizer has)"
    with pytest.raises(ValueError, match=refused):
        load_model(tmp_path / "m")
    with pytest.raises(ValueError, match=r"m: "):
        load_tokenizer(tmp_path / "m")


@pytest.mark.parametrize(
    "model, setting, match",
    [
        ("cnn", {"channels": -3}, "channels must be a whole number of at least 1; got -3"),
        ("cnn", {"kernel_size": 0}, "kernel_size must be a whole number of at least 1; got 0"),
        ("cnn", {"kernel_size": 4}, "kernel_size must be odd, .*; got 4"),
        ("cnn", {"dilations": "x"}, "dilations must be a list of whole numbers; got 'x'"),
        ("cnn", {"dropout": 2}, "dropout must be a number from 0 to 1; got 2"),
        ("lstm", {"num_layers": 0}, "num_layers must be a whole number of at least 1; got 0"),
        ("pos-cnn", {"stem_kernel": 8}, "stem_kernel must be odd"),
        ("pos-cnn", {"attention_layers": 1, "attention_heads": 5}, r"attention_heads \(5\) must divide channels"),
        ("pos-cnn", {"attention_pool": "x"}, "attention_pool must be a whole number of at least 1; got 'x'"),
    ],
)
def test_architecture_settings_no_model_can_have_are_one_sentence(tmp_path, model, setting, match):
    """They reached torch: 'Trying to create tensor with negative dimension', a tensor size mismatch (exit 1)."""
    import json

    from dnalm.models.build import build_model, load_model

    with pytest.raises(ValueError, match=f"architecture setting {match}"):
        build_model(model, num_labels=2, seed=0, config_overrides=setting)
    built, tok, _ = build_model(model, num_labels=2, seed=0)  # the same value in a saved model's config.json
    built.save_pretrained(tmp_path / "m")
    tok.save_pretrained(tmp_path / "m")
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    (tmp_path / "m" / "config.json").write_text(json.dumps({**config, **setting}))
    with pytest.raises(ValueError, match=f"m/config.json: architecture setting {match}"):
        load_model(tmp_path / "m")


def test_fill_mask_on_a_cnn_classifier_says_it_needs_another_kind_of_model(tmp_path):
    """It printed transformers' list of every masked-LM configuration class it knows."""
    from dnalm.lm.inference import fill_mask
    from dnalm.models.build import build_model

    model, tok, _ = build_model("cnn", num_labels=2, seed=0)
    model.save_pretrained(tmp_path / "m")
    tok.save_pretrained(tmp_path / "m")
    with pytest.raises(ValueError, match=r"m: fill-mask needs another kind of model than this one \(DilatedCnnConfig"):
        fill_mask(tmp_path / "m", "ACGT<mask>ACGT")


def test_a_model_folder_without_tokenizer_or_with_an_unknown_model_type_is_named(tmp_path):
    """transformers said 'Couldn't instantiate the backend tokenizer ... sentencepiece' and, for a model_type it
    does not know, to upgrade transformers, naming neither the folder nor the file."""
    import json

    from dnalm.models.build import build_model, load_model
    from dnalm.tokenizers.dna import load_tokenizer

    model, tok, _ = build_model("tiny", num_labels=2, seed=0)
    model.save_pretrained(tmp_path / "m")
    with pytest.raises(FileNotFoundError, match=r"m: no tokenizer files \(vocab.txt, tokenizer.json"):
        load_tokenizer(tmp_path / "m")
    tok.save_pretrained(tmp_path / "m")
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    (tmp_path / "m" / "config.json").write_text(json.dumps({**config, "model_type": "nonsense"}))
    with pytest.raises(ValueError, match=r"m/config.json: unknown model_type 'nonsense' \(neither transformers"):
        load_model(tmp_path / "m")


def test_training_data_without_labels_lists_its_columns_and_a_missing_class_file_names_the_option(tmp_path):
    from dnalm.finetune.train import finetune

    (tmp_path / "d.csv").write_text("seq,y\n" + "ACGTACGTAC,0\nTTTTGGGGCC,1\n" * 10)
    with pytest.raises(ValueError, match=r"has no label; .*d.csv has the columns \['seq', 'y'\]\), or --class"):
        finetune(FinetuneConfig(model="cnn", epochs=1), tmp_path / "d.csv", tmp_path / "out")
    (tmp_path / "u.fa").write_text(">a\nACGTACGTAC\n>b\nTTGACCATGA\n")  # two records: said to be too few to split
    with pytest.raises(ValueError, match=r"u.fa:1: record 'a' has no label"):
        finetune(FinetuneConfig(model="cnn", epochs=1), tmp_path / "u.fa", tmp_path / "out")
    (tmp_path / "u.fa").unlink()
    (tmp_path / "a.fa").write_text(">a\nACGTACGT\n")
    with pytest.raises(
        FileNotFoundError, match=r"classes\['b'\]='nope.fa': no such file"
    ):  # (it named --class to Python)
        finetune(FinetuneConfig(model="cnn"), None, tmp_path / "o2", classes={"a": tmp_path / "a.fa", "b": "nope.fa"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.fa", "d.csv"]


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


def test_bpe_without_bases_to_train_on_is_refused_and_a_small_vocabulary_is_said(tmp_path, caplog):
    """All-N input 'trained' a tokenizer of the 10 special and base tokens, exit 0, without a word."""
    from dnalm.tokenizers.build import train_bpe_folder

    (tmp_path / "n.fa").write_text(">n\n" + "N" * 40 + "\n")
    with pytest.raises(ValueError, match=r"n.fa: no run of A/C/G/T to train on"):
        train_bpe_folder([tmp_path / "n.fa"], tmp_path / "t")
    assert not (tmp_path / "t").exists()
    (tmp_path / "a.fa").write_text(">a\nACGTACGTTGCAACGT\n")
    train_bpe_folder([tmp_path / "a.fa"], tmp_path / "t", vocab_size=64)
    assert "fewer than the 64 asked (--vocab-size)" in caplog.text


def test_options_that_do_nothing_where_they_are_given_are_refused(tmp_path):
    """Each was accepted and silently ignored (exit 0): evaluate --seed without --untrained, --split on a file,
    --label-column with --class; scan --threshold without --peaks; interpret --n-steps/--shuffles/--seed with ism;
    audit --dedup-kinds without --dedup and --max-length with --tokenizer none; a benchmark's finetune.seed."""
    from dnalm.apply.settings import EvaluateSettings, ScanSettings
    from dnalm.audit import AuditSettings
    from dnalm.experiment.config import BenchmarkConfig
    from dnalm.interpret.settings import InterpretSettings

    data = tmp_path / "d.csv"
    data.write_text("sequence,label\nACGT,1\n")
    cases = [
        (lambda: EvaluateSettings(seed=5), r"seed \(--seed\) seeds the fresh head of --untrained only; got 5"),
        (lambda: EvaluateSettings(split="dev", data=str(data)), r"split \(--split\) chooses a split of a data folder"),
        (lambda: EvaluateSettings(label_column="y", classes={"a": "x.fa"}), r"label_column .* --class files"),
        (lambda: ScanSettings(threshold=0.9), r"threshold \(--threshold\) makes peaks: it needs --peaks; got 0.9"),
        (lambda: InterpretSettings(n_steps=5), r"n_steps \(--n-steps\) sets the integration steps of --method ig"),
        (lambda: InterpretSettings(method="ig", n_shuffles=3), r"n_shuffles \(--shuffles\) .* deepliftshap"),
        (lambda: InterpretSettings(seed=3), r"seed \(--seed\) seeds the shuffles of --method deepliftshap"),
        (lambda: AuditSettings(dedup_kinds="exact"), r"dedup_kinds \(--dedup-kinds\) .* it needs --dedup"),
        (lambda: AuditSettings(tokenizer="none", max_length=5), r"max_length \(--max-length\) counts truncation"),
        (
            lambda: BenchmarkConfig.from_dict(
                {"seeds": [0], "datasets": {"d": str(tmp_path)}, "models": {"m": "cnn"}, "finetune": {"seed": 5}}
            ),
            r"finetune.seed: each run's seed comes from seeds \(\[0\]\); remove it",
        ),
    ]
    for make, message in cases:
        with pytest.raises(ValueError, match=message):
            make()
    # where they apply, they are taken
    EvaluateSettings(untrained=True, seed=5, split="dev", data=str(tmp_path))
    ScanSettings(threshold=0.9, peaks="p.bed")
    InterpretSettings(method="deepliftshap", n_shuffles=3, seed=3)
    AuditSettings(dedup_kinds="exact", dedup="out")


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"class_weights": True, "problem_type": "regression"},
            r"class_weights \(--class-weights\) weight the classes",
        ),
        ({"class_weights": True, "problem_type": "token_classification"}, "token_classification has none to weight"),
        ({"batch_size": 10**9}, r"batch_size \(--batch-size\) must be"),
        ({"early_stopping_patience": 10**9}, r"early_stopping_patience \(--patience\) must be"),
        ({"evals_per_epoch": 1e9}, "evals_per_epoch must be"),
        ({"model": " "}, r"model \(--model\) is empty"),
    ],
)
def test_finetune_settings_without_effect_or_beyond_reason_are_refused(settings, message):
    """--class-weights with regression was a warning (and recorded as used); 1e9 batches or patience were taken."""
    from dnalm.finetune.config import FinetuneConfig

    with pytest.raises(ValueError, match=message):
        FinetuneConfig(**settings)


def test_synth_refuses_more_bases_than_it_can_hold():
    """synth tata --n 1000000000 died of a MemoryError naming no option."""
    from dnalm.synth import SynthSettings

    with pytest.raises(ValueError, match=r"n \(--n\) must be in \[3, 100000000\]; got 1000000000"):
        SynthSettings(n=10**9, length=100)
    with pytest.raises(ValueError, match=r"n \(--n\) x length \(--length\) is 10,000,000,000 bases"):
        SynthSettings(n=10**8, length=100)


def test_a_missing_pwm_file_and_a_named_tokenizer_for_check_are_clear(tmp_path):
    """synth --pwm nope.txt said a bare '[Errno 2]'; tokenizer check refused kmer6, which audit --tokenizer takes."""
    from dnalm.audit import check_tokenizer
    from dnalm.io import Record
    from dnalm.synth import read_pwm

    with pytest.raises(FileNotFoundError, match=r"--pwm .*nope.txt: no such file"):
        read_pwm(tmp_path / "nope.txt")
    report = check_tokenizer("kmer6", lambda split: [Record("a", "ACGTACGTAC")], [None])
    assert report["all"]["n_tokens"] == 7 and report["all"]["unk_tokens"] == 0


def test_tokenizer_check_refuses_a_split_of_a_file(tmp_path):
    """tokenizer check TOK test.csv --split dev reported the whole file as split 'all'."""
    from dnalm.audit import check_tokenizer_on

    data = tmp_path / "t.csv"
    data.write_text("sequence,label\nACGTACGT,1\n")
    with pytest.raises(ValueError, match=r"--split chooses splits of a data folder; .*t.csv is not one"):
        check_tokenizer_on("kmer3", data, ["dev"])
    assert check_tokenizer_on("kmer3", data)["all"]["n_sequences"] == 1


def test_an_untrained_baseline_is_built_for_the_task_it_is_given(tmp_path):
    """evaluate --untrained built a single-label classifier whatever the data: multi-label labels a;b became classes
    ';', 'a', 'a;b', 'b', and integer regression targets a 5-class classifier."""
    from dnalm.apply.evaluate import evaluate

    data = tmp_path / "ml.csv"
    data.write_text(
        "sequence,label\n"
        + "".join(
            f"{s},{lab}\n"
            for s, lab in [("ACGTACGTAA", "a;b"), ("TTTTACGTAC", ";"), ("ACGGGGGTAC", "a"), ("CCCCACGTAC", "b")] * 3
        )
    )
    metrics = evaluate("cnn", data, tmp_path / "e", untrained=True, problem_type="multi_label_classification")
    assert metrics["labels"] == ["a", "b"] and "subset_accuracy" in metrics
    with pytest.raises(ValueError, match=r"problem_type \(--problem-type\) is the fresh head's task with --untrained"):
        evaluate("cnn", data, tmp_path / "e2", problem_type="regression")


def test_split_beside_class_fastas_names_the_class_files(tmp_path):
    from dnalm.audit import check_tokenizer_on

    (tmp_path / "a.fa").write_text(">a\nACGTACGT\n")
    with pytest.raises(ValueError, match=r"--split chooses splits of a data folder; --class FASTAs have none"):
        check_tokenizer_on("kmer3", tmp_path, ["train"], classes={"a": str(tmp_path / "a.fa")})


def test_weights_or_outputs_that_are_not_finite_are_refused_not_written(tmp_path):
    """NaN weights gave NaN predictions, bedGraph values and embeddings with exit 0 (evaluate alone refused), and
    fine-tuning from them said "training diverged" and left OUTPUT.partial behind, which refused the next run."""
    import torch

    from dnalm.apply.predict import predict_proba
    from dnalm.finetune.config import FinetuneConfig
    from dnalm.finetune.train import finetune
    from dnalm.models.build import build_model, load_model
    from dnalm.models.loading import IncompleteCheckpointError

    model, tok, _ = build_model("pos-cnn", num_labels=2, seed=0)
    with torch.no_grad():
        next(p for p in model.parameters() if p.dim() > 1)[0, 0] = float("nan")
    model.save_pretrained(tmp_path / "nan")
    tok.save_pretrained(tmp_path / "nan")
    with pytest.raises(IncompleteCheckpointError, match=r"nan: 1 weight tensor\(s\) hold values that are not finite"):
        load_model(tmp_path / "nan")
    (tmp_path / "data.csv").write_text("sequence,label\n" + "".join(f"{'ACGT' * 10},{i % 2}\n" for i in range(20)))
    with pytest.raises(IncompleteCheckpointError, match="not finite"):
        finetune(FinetuneConfig(model=str(tmp_path / "nan"), epochs=1), tmp_path / "data.csv", tmp_path / "out")
    assert not list(tmp_path.glob("out*"))  # nothing to resume: no OUTPUT.partial refusing the next run

    model, tok, _ = build_model("pos-cnn", num_labels=2, seed=0)
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(1e30)  # finite weights, outputs that overflow
    with pytest.raises(ValueError, match=r"outputs are not finite numbers \(NaN or inf, e.g. for input sequence \d"):
        predict_proba(model, tok, ["ACGT" * 25, "TTGACA" * 10])


def test_a_run_refused_after_taking_its_output_leaves_nothing_that_refuses_the_next(tmp_path):
    """model_config {channels: -3} under the default recipe was refused after OUTPUT.partial/recipe.json was
    written: the next run, with good settings, was refused for 'what a stopped run left'."""
    from dnalm.finetune.config import FinetuneConfig
    from dnalm.finetune.train import finetune

    (tmp_path / "data.csv").write_text("sequence,label\n" + "".join(f"{'ACGT' * 10},{i % 2}\n" for i in range(40)))
    with pytest.raises(ValueError, match="channels must be a whole number"):
        finetune(FinetuneConfig(model_config={"channels": -3}), tmp_path / "data.csv", tmp_path / "out")
    assert not list(tmp_path.glob("out*"))


@pytest.mark.parametrize(
    ("preset", "edit", "message"),
    [
        ("tiny", {"num_hidden_layers": 100_000}, r"num_hidden_layers 100000 \(the weights hold 2 layers\) does not"),
        ("cnn", {"channels": 1_000_000_000}, r"channels 1000000000 does not fit the weights in model.safetensors"),
        ("tiny", {"hidden_size": 256, "num_hidden_layers": 3}, r"hidden_size 256, num_hidden_layers 3 .* do not fit"),
        ("pos-cnn", {"label2id": {"x": 0, "y": 1}}, r"id2label .* and label2id .* name the classes differently"),
    ],
)
def test_a_config_json_whose_sizes_are_not_the_weights_is_refused_before_the_model_is_built(
    tmp_path, preset, edit, message
):
    """num_hidden_layers: 100000 built for minutes before the weights were compared; channels: 1e9 overflowed in
    torch with a RuntimeError naming no file."""
    import json
    import time

    from dnalm.models.build import build_model, load_model

    model, tok, _ = build_model(preset, num_labels=2, seed=0)
    model.save_pretrained(tmp_path / "m")
    tok.save_pretrained(tmp_path / "m")
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    (tmp_path / "m" / "config.json").write_text(json.dumps({**config, **edit}))
    import transformers

    verbosity = transformers.logging.get_verbosity()
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=r"m/config.json: " + message):
        load_model(tmp_path / "m")
    assert time.perf_counter() - t0 < 10
    assert transformers.logging.get_verbosity() == verbosity  # (a refusal left transformers' warnings off)


def test_weights_stored_as_whole_numbers_are_refused(tmp_path):
    """Every float tensor rewritten as int8 was cast back to float without a word: every prediction 0.5."""
    import torch
    from safetensors.torch import load_file, save_file

    from dnalm.models.build import build_model, load_model

    model, tok, _ = build_model("pos-cnn", num_labels=2, seed=0)
    model.save_pretrained(tmp_path / "m")
    tok.save_pretrained(tmp_path / "m")
    weights = load_file(tmp_path / "m" / "model.safetensors")
    save_file(
        {k: v.to(torch.int8) if v.is_floating_point() else v for k, v in weights.items()},
        tmp_path / "m" / "model.safetensors",
        metadata={"format": "pt"},
    )
    with pytest.raises(ValueError, match=r"model.safetensors: \d+ weight tensor\(s\) are stored as whole numbers"):
        load_model(tmp_path / "m")
