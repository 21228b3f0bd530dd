"""Choosing between the recipe's candidates on validation: the better validation metric keeps, and how far the
validation split's noise reaches (one standard error of the paired difference) is recorded and said."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from dnalm.finetune.train import _validates_better
from dnalm.finetune.trainer import selection_noise
from dnalm.metrics import paired_bootstrap_se
from dnalm.tasks import get_task

CLASSIFY = get_task("single_label_classification")


def _outputs(seed: int, n: int = 400, noise: float = 0.0):
    rng = np.random.default_rng(seed)
    y = (np.arange(n) % 2).astype(np.int64)
    logits = np.stack([-y + rng.normal(scale=1.5, size=n), y + rng.normal(scale=1.5, size=n)], 1)
    return (logits + rng.normal(scale=noise, size=logits.shape)).astype(np.float32), y


def _record_losses(outputs) -> np.ndarray:
    logits, y = outputs
    return torch.nn.functional.cross_entropy(torch.from_numpy(logits), torch.from_numpy(y), reduction="none").numpy()


def test_the_noise_of_a_loss_difference_is_the_standard_error_of_the_paired_record_losses():
    kept, new = _outputs(0), _outputs(0, noise=0.8)
    se = selection_noise(CLASSIFY, None, "eval_loss", kept, new, seed=0)
    d = _record_losses(new) - _record_losses(kept)
    assert se == pytest.approx(d.std(ddof=1) / np.sqrt(len(d)), rel=0.2)
    assert selection_noise(CLASSIFY, None, "loss", kept, new, seed=0) == se  # seeded: the same every time
    assert selection_noise(CLASSIFY, None, "loss", kept, kept, seed=0) == 0.0  # one model against itself
    # any other metric: the task's own on the resampled records, finite and positive
    assert 0 < selection_noise(CLASSIFY, None, "mcc", kept, new, seed=0) < 0.2


def test_paired_bootstrap_leaves_out_undefined_resamples_and_needs_two_records():
    assert paired_bootstrap_se(lambda rows: 1.0, 1) == 0.0
    calls = iter(range(1000))
    assert paired_bootstrap_se(lambda rows: None if next(calls) % 2 else float(rows.mean()), 50) > 0
    assert paired_bootstrap_se(lambda rows: float("nan"), 50) == 0.0


def _run(metric: str = "loss"):
    return SimpleNamespace(cfg=SimpleNamespace(metric_for_best_model=metric, seed=0), task=CLASSIFY, labels=None)


def test_the_better_candidate_is_kept_and_a_gain_within_the_noise_is_said(caplog):
    kept_out, new_out = _outputs(0), _outputs(0, noise=0.8)
    se = selection_noise(CLASSIFY, None, "loss", kept_out, new_out, seed=0)
    result = {}
    with caplog.at_level(logging.INFO, logger="dnalm"):
        assert _validates_better(_run(), (0.50 - 3 * se, new_out, 1), (0.50, kept_out, 0), result)
    assert result["validation_standard_error"] == se and "within one standard error" not in caplog.text
    with caplog.at_level(logging.INFO, logger="dnalm"):
        assert _validates_better(_run(), (0.50 - se / 2, new_out, 1), (0.50, kept_out, 0), {})
    assert (
        "candidate 0 and candidate 1 differ by" in caplog.text
        and "candidate 1 is kept, and another draw" in caplog.text
    )
    caplog.clear()
    result = {}
    with caplog.at_level(logging.INFO, logger="dnalm"):
        assert not _validates_better(_run(), (0.50 + se / 2, new_out, 1), (0.50, kept_out, 0), result)
    assert "candidate 0 is kept" in caplog.text and result["validation_standard_error"] == se
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="dnalm"):  # the candidates' average, named as such
        assert _validates_better(_run(), (0.50 - se / 2, new_out, 2), (0.50, kept_out, 1), {"members": [0, 1]})
    assert "candidate 1 and their average differ by" in caplog.text and "their average is kept" in caplog.text
    # a metric where higher is better (MCC), and a candidate without a validation score
    assert _validates_better(_run("mcc"), (0.61, new_out, 1), (0.6, kept_out, 0), {})
    assert not _validates_better(_run("mcc"), (0.59, new_out, 1), (0.6, kept_out, 0), {})
    assert not _validates_better(_run(), (None, new_out, 1), (0.5, kept_out, 0), {})
    assert _validates_better(_run(), (0.5, new_out, 1), (None, kept_out, 0), {})


def test_validation_outputs_come_back_in_the_records_order_when_training_groups_batches_by_length(tmp_path):
    """transformers 5 batches validation by length too when training does (``group_by_length``, dnalm's default),
    in an order that depends on the lengths: the same records truncated for one candidate came back in another order
    than for the others, and averaging the candidates failed ("outputs of different records")."""
    from functools import partial

    from dnalm.finetune.config import FinetuneConfig
    from dnalm.finetune.data import LabelSpace, Record, to_dataset
    from dnalm.finetune.trainer import collate_batch, trainer_class, training_arguments, validation_outputs
    from dnalm.models.build import build_model

    rng = np.random.default_rng(0)
    records = [
        Record(f"r{i}", "".join(rng.choice(list("ACGT"), int(rng.integers(20, 300)))), str(i % 2)) for i in range(70)
    ]
    labels = LabelSpace("single_label_classification", ["0", "1"])
    model, tok, _ = build_model("pos-cnn", num_labels=2, seed=0)
    model.eval()
    cfg = FinetuneConfig(
        batch_size=8,
        eval_batch_size=8,
        learning_rate=1e-3,
        warmup_ratio=0.0,
        lr_scheduler="constant",
        max_grad_norm=1.0,
        precision="fp32",  # so a record scored in a batch and alone give the same logits
        trainer={"disable_tqdm": True, "report_to": "none"},
    )
    datasets = [to_dataset(records, tok, labels, n)[0] for n in (302, 100)]  # whole, and the same records truncated
    trainer = trainer_class()(
        model=model,
        args=training_arguments(cfg, tmp_path, total_steps=1, eval_steps=1),
        data_collator=partial(collate_batch, tok),
        eval_dataset=datasets[0],
    )
    assert trainer.args.train_sampling_strategy == "group_by_length"
    for dataset in datasets:
        logits, y = validation_outputs(trainer, dataset)
        assert y.tolist() == [i % 2 for i in range(70)]
        with torch.no_grad():  # record by record: each one alone through the model
            for i in (0, 33, 69):
                one = dataset.__getitems__([i])
                alone = model(
                    input_ids=torch.as_tensor(one["input_ids"]), attention_mask=torch.as_tensor(one["attention_mask"])
                )
                np.testing.assert_allclose(logits[i], alone.logits[0].numpy(), rtol=1e-4, atol=1e-5)
    assert type(trainer._get_eval_sampler(dataset)).__name__ == "LengthGroupedSampler"  # training's validation
