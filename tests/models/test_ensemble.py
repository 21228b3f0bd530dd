"""An ensemble of trained classifiers is one model folder: saved, loaded and scored like any other."""

import pytest

np = pytest.importorskip("numpy")
torch = pytest.importorskip("torch")

_ATTENTION = {"attention_layers": 1, "attention_positions": 16}


def _members(num_labels=2, problem_type=None):
    from dnalm.models.build import build_model

    kw = {"num_labels": num_labels, "seed": 0}
    if problem_type:
        kw["problem_type"] = problem_type
    cnn, tok, _ = build_model("pos-cnn", **kw)
    attention, _, _ = build_model("pos-cnn", **{**kw, "seed": 1}, config_overrides=_ATTENTION)
    return [cnn.eval(), attention.eval()], tok


def test_an_ensemble_outputs_the_mean_probability_and_loads_from_its_folder(tmp_path):
    """softmax of the ensemble's logits is the members' mean probability; the folder loads through the Auto class
    (and dnalm's loader) to the same outputs, and the longest input is the shorter member's."""
    from transformers import AutoModelForSequenceClassification

    from dnalm.models.build import load_model, model_max_tokens
    from dnalm.models.ensemble import EnsembleForSequenceClassification

    members, tok = _members(3)
    ensemble = EnsembleForSequenceClassification.of(members).eval()
    batch = tok(["ACGTACGTTATAAAGG", "GGGCCCAATTN"], padding=True, return_tensors="pt")
    with torch.no_grad():
        mean = torch.stack([m(**batch).logits.softmax(-1) for m in members]).mean(0)
        out = ensemble(**batch, labels=torch.tensor([0, 2]))
    assert torch.allclose(out.logits.softmax(-1), mean, atol=1e-6)
    assert torch.isclose(out.loss, torch.nn.functional.nll_loss(mean.log(), torch.tensor([0, 2])), atol=1e-5)
    assert model_max_tokens(ensemble, tok) == 16 * 4 == members[1].config.max_position_embeddings
    ensemble.save_pretrained(tmp_path)
    tok.save_pretrained(tmp_path)
    for loaded in (AutoModelForSequenceClassification.from_pretrained(tmp_path), load_model(tmp_path)[0]):
        assert type(loaded).__name__ == "EnsembleForSequenceClassification"
        with torch.no_grad():
            assert torch.allclose(loaded.eval()(**batch).logits, out.logits, atol=1e-5)


@pytest.mark.parametrize(
    ("task", "activate"),
    [
        ("multi_label_classification", torch.sigmoid),
        ("regression", lambda z: z),
    ],
)
def test_every_task_averages_its_own_scores(task, activate):
    """Label probabilities for a multi-label classifier, values for a regression."""
    from dnalm.tasks import get_task

    outputs = [torch.randn(4, 3) * 5 for _ in range(3)]
    averaged = get_task(task).average(outputs)
    assert torch.allclose(activate(averaged), torch.stack([activate(z) for z in outputs]).mean(0), atol=1e-6)


def test_models_that_disagree_on_labels_are_not_averaged():
    from dnalm.models.ensemble import EnsembleForSequenceClassification

    (a, _), _ = _members(2)
    (b, _), _ = _members(3)
    with pytest.raises(ValueError, match="same labels"):
        EnsembleForSequenceClassification.of([a, b])
    with pytest.raises(ValueError, match="two or more"):
        EnsembleForSequenceClassification.of([a])


def test_gradient_attributions_flow_through_every_member():
    """Every member reads the vectors attributions are taken against: an ensemble of one model twice attributes as
    that model does (only the first member's token lookup was replaced, so the second's half of the output had no
    gradient and every score came out halved)."""
    import copy

    pytest.importorskip("captum")
    from dnalm.interpret.attributions import gradient_attributions
    from dnalm.models.ensemble import EnsembleForSequenceClassification

    (model, _), tok = _members(2)
    twice = EnsembleForSequenceClassification.of([model, copy.deepcopy(model)]).eval()
    seqs = ["ACGTTATAAAGGCCATTGCA" * 2, "GGGCCCAATTACGTTATAAA"]
    for method in ("gradxinput", "ig"):
        one = gradient_attributions(model, tok, seqs, method=method, n_steps=8)
        both = gradient_attributions(twice, tok, seqs, method=method, n_steps=8)
        for a, b in zip(one, both):
            assert np.abs(a).max() > 0 and np.allclose(a, b, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize(
    ("members", "said"),
    [
        ("x", "members must be a list of two or more"),
        ([{"model_type": "dnalm-pos-cnn", "channels": 0}] * 2, r"\(member 0\): architecture setting channels"),
    ],
)
def test_a_damaged_ensemble_config_is_named_before_loading(tmp_path, members, said):
    import json

    from dnalm.models.ref import ModelRef

    (tmp_path / "config.json").write_text(json.dumps({"model_type": "dnalm-ensemble", "members": members}))
    with pytest.raises(ValueError, match=said):
        ModelRef.resolve(tmp_path).config  # noqa: B018
