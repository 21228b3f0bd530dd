"""Model selection, early stopping and the anneal on a plateau (dnalm.runtime.callbacks.BestModel), step by step."""

import io
from types import SimpleNamespace

import pytest
import torch
from transformers import TrainerControl, TrainerState

from dnalm.runtime.callbacks import BestModel


def _setup(anneal_steps: int, max_steps: int = 100):
    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0 - step / 200)
    best = BestModel("loss", greater_is_better=False, patience=2, anneal_steps=anneal_steps)
    state, control = TrainerState(), TrainerControl()
    state.max_steps = max_steps
    best.on_train_begin(None, state, control, lr_scheduler=scheduler)
    return SimpleNamespace(
        model=model, optimizer=optimizer, scheduler=scheduler, best=best, state=state, control=control
    )


def _run(r, losses: dict[int, float], until: int = 100) -> list[float]:
    """Steps 1..until; validation at the steps in ``losses``; returns the learning rate of every step."""
    lrs = []
    for step in range(1, until + 1):
        lrs.append(r.optimizer.param_groups[0]["lr"])
        r.optimizer.step()
        r.scheduler.step()
        r.state.global_step = step
        r.best.on_step_end(None, r.state, r.control)
        if step in losses:
            r.best.on_evaluate(None, r.state, r.control, metrics={"eval_loss": losses[step]}, model=r.model)
        if r.control.should_training_stop:
            break
    return lrs


def test_a_plateau_anneals_the_scheduled_rate_to_zero_then_stops():
    r = _setup(anneal_steps=10)
    best, state, control = r.best, r.state, r.control
    lrs = _run(r, losses={10: 0.5, 20: 0.4, 30: 0.45, 40: 0.41, 50: 0.3})
    assert best.anneal == (40, 50)  # two validations without improvement after step 20
    assert lrs[:40] == pytest.approx([0.5 * (1 - s / 200) for s in range(40)])
    # from step 41 the schedule's rate times a factor falling linearly from 1 to 0 at step 50
    assert lrs[40:50] == pytest.approx([0.5 * (1 - s / 200) * (1 - (s - 40) / 10) for s in range(40, 50)])
    assert state.global_step == 50 and control.should_training_stop and control.should_evaluate
    assert best.best == 0.3 and best.best_step == 50  # the annealed weights were validated and kept
    # a checkpoint of the scheduler pickles (the wrapped rates are plain closures that state_dict skips)
    torch.save(r.scheduler.state_dict(), io.BytesIO())
    assert best.resume_state()["anneal"] == (40, 50)


def test_without_anneal_a_plateau_stops_at_once():
    r = _setup(anneal_steps=0)
    lrs = _run(r, losses={10: 0.5, 20: 0.4, 30: 0.45, 40: 0.41})
    assert r.best.anneal is None and r.state.global_step == 40 and r.control.should_training_stop
    assert lrs == pytest.approx([0.5 * (1 - s / 200) for s in range(40)])
    assert r.best.best_step == 20


def test_the_anneal_never_runs_past_the_planned_end():
    r = _setup(anneal_steps=30, max_steps=50)
    _run(r, losses={10: 0.5, 20: 0.6, 30: 0.7, 40: 0.8})
    assert r.best.anneal == (30, 50) and r.state.global_step == 50


def test_a_schedule_that_cannot_be_wrapped_is_refused():
    optimizer = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 10)
    best = BestModel("loss", greater_is_better=False, patience=2, anneal_steps=5)
    with pytest.raises(ValueError, match="LambdaLR"):
        best.on_train_begin(None, TrainerState(), TrainerControl(), lr_scheduler=scheduler)


@pytest.mark.parametrize("torn", ["", '{"global_step": 2', "\xff"])
def test_a_checkpoint_whose_state_file_was_cut_short_is_not_resumed_from(tmp_path, torn, caplog):
    """The Trainer writes trainer_state.json in place, last: a kill during that write leaves a file that
    exists but is not JSON (the CI suite once resumed from one and stopped on a JSON error)."""
    from dnalm.runtime.callbacks import last_checkpoint

    for step, text in ((1, '{"global_step": 1}'), (2, torn)):
        (tmp_path / f"checkpoint-{step}").mkdir()
        (tmp_path / f"checkpoint-{step}" / "trainer_state.json").write_bytes(text.encode("latin-1"))
    assert last_checkpoint(tmp_path, complete_marker="trainer_state.json") == tmp_path / "checkpoint-1"
    assert "checkpoint-2: incomplete" in caplog.text
    (tmp_path / "checkpoint-2" / "trainer_state.json").write_text('{"global_step": 2}')
    assert last_checkpoint(tmp_path, complete_marker="trainer_state.json") == tmp_path / "checkpoint-2"


def test_a_time_budget_stops_before_a_step_that_would_pass_it_and_follows_slower_validations(monkeypatch):
    """Under load a budgeted run ended at twice its budget: it stopped only once the deadline had passed (one more
    step over), and kept the validation time the plan was made with while validations grew slower."""
    import dnalm.runtime.callbacks as callbacks

    clock = [0.0]
    monkeypatch.setattr(callbacks.time, "time", lambda: clock[0])
    budget = callbacks.TimeBudget(deadline=10.0, eval_s=1.0)
    args = SimpleNamespace(eval_strategy="steps")
    state = SimpleNamespace(global_step=0, max_steps=100)

    def step(seconds: float) -> bool:
        control = TrainerControl()
        budget.on_step_begin(args, state, control)
        clock[0] += seconds
        state.global_step += 1
        budget.on_step_end(args, state, control)
        return control.should_training_stop

    assert not step(2.0) and not step(2.0) and not step(2.0)  # at 6 s: the next 2-s step ends at 8 s
    budget.on_evaluate(args, state, TrainerControl())  # a validation that ran at once: the deadline stands
    assert budget.deadline == 10.0
    clock[0] += 2.0  # a validation of 2 s where the plan had 1 s: the two left take 2 s more in all
    budget.on_evaluate(args, state, TrainerControl())
    assert budget.deadline == 8.0 and budget.eval_s == 2.0
    assert step(0.5)  # at 8.5 s, past the moved deadline (the old rule went on to 10 s and a step beyond)
    assert budget.stopped_at_step == 4
    plain = callbacks.TimeBudget(deadline=10.0)  # no planned validation time (pretraining): the deadline stands
    plain.on_step_end(args, state, TrainerControl())
    clock[0] += 5.0
    plain.on_evaluate(args, state, TrainerControl())
    assert plain.deadline == 10.0


def test_old_checkpoints_go_by_step_and_a_file_put_in_one_stays(tmp_path, caplog):
    """The Trainer's rotation removed an old checkpoint-N whole, a note the user had put in it too, and ordered the
    folders by time changed: the note made the oldest one look newest, so the newest one was removed instead."""
    import os
    import time

    from transformers import TrainingArguments

    from dnalm.runtime.callbacks import STATE_FILE, own_rotation

    args = TrainingArguments(output_dir=str(tmp_path), save_total_limit=2, report_to="none")
    rotation = own_rotation(args)
    assert args.save_total_limit is None  # the Trainer no longer rotates
    for step in (10, 20, 30):
        folder = tmp_path / f"checkpoint-{step}"
        (folder / "sub").mkdir(parents=True)
        for name in ("model.safetensors", "trainer_state.json", STATE_FILE, "sub/rng.pth"):
            (folder / name).write_text("saved\n")
    past = time.time() - 100  # saved a while ago; the note is put there now
    for path in tmp_path.rglob("*"):
        os.utime(path, (past, past))
    with open(tmp_path / "checkpoint-10" / "trainer_state.json", "a") as f:  # ctime: not settable, so wait it out
        f.flush()
    time.sleep(2.2)
    (tmp_path / "checkpoint-10" / "notes.txt").write_text("mine\n")
    state = TrainerState(global_step=30, is_world_process_zero=True)
    with caplog.at_level("WARNING"):
        rotation.on_save(args, state, TrainerControl())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint-10", "checkpoint-20", "checkpoint-30"]
    assert [p.name for p in (tmp_path / "checkpoint-10").iterdir()] == ["notes.txt"]
    assert "kept 1 file(s) of yours in an old checkpoint: notes.txt" in caplog.text
    (tmp_path / "checkpoint-40").mkdir()
    (tmp_path / "checkpoint-40" / STATE_FILE).write_text("saved\n")
    state.global_step, state.best_model_checkpoint = 40, str(tmp_path / "checkpoint-20")
    rotation.on_save(args, state, TrainerControl())  # the best checkpoint is kept beyond the two newest
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "checkpoint-10",
        "checkpoint-20",
        "checkpoint-30",
        "checkpoint-40",
    ]
    assert [p.name for p in (tmp_path / "checkpoint-10").iterdir()] == ["notes.txt"]  # only the user's: stays
    assert (tmp_path / "checkpoint-30" / "sub" / "rng.pth").is_file()
