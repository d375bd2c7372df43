"""Learning-rate schedules: closed forms by hand, and PyTorch's sequences."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bpkit.layers import Parameter
from bpkit.optim import (
    SGD,
    Adam,
    CosineAnnealingLR,
    ExponentialLR,
    LinearLR,
    LinearWarmup,
    StepLR,
)


def _opt(lr=0.1, groups=1):
    if groups == 1:
        return SGD([Parameter(np.zeros(2))], lr=lr)
    return SGD([{"params": [Parameter(np.zeros(1))], "lr": lr * (i + 1)}
                for i in range(groups)], lr=lr)


def lrs_used(opt, sched, steps):
    """The lr each optimizer step uses, in a standard loop."""
    out = []
    for _ in range(steps):
        out.append([g["lr"] for g in opt.param_groups])
        opt.step()
        sched.step()
    return np.array(out)


def test_step_lr_by_hand():
    opt = _opt(1.0)
    got = lrs_used(opt, StepLR(opt, step_size=3, gamma=0.5), 8)[:, 0]
    np.testing.assert_allclose(got, [1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25])


def test_exponential_lr_by_hand():
    opt = _opt(2.0)
    got = lrs_used(opt, ExponentialLR(opt, gamma=0.9), 4)[:, 0]
    np.testing.assert_allclose(got, [2.0, 1.8, 1.62, 1.458])


def test_cosine_by_hand_reaches_eta_min_at_t_max():
    opt = _opt(1.0)
    got = lrs_used(opt, CosineAnnealingLR(opt, T_max=4, eta_min=0.2), 5)[:, 0]
    c = (1 + np.cos(np.pi * np.arange(5) / 4)) / 2
    np.testing.assert_allclose(got, 0.2 + 0.8 * c)
    assert got[2] == pytest.approx(0.6) and got[4] == pytest.approx(0.2)


def test_warmup_by_hand_then_follows_the_wrapped_schedule():
    opt = _opt(1.0)
    after = StepLR(opt, step_size=2, gamma=0.1)
    got = lrs_used(opt, LinearWarmup(opt, 4, after=after, start_factor=0.2), 8)[:, 0]
    np.testing.assert_allclose(got, [0.2, 0.4, 0.6, 0.8, 1.0, 1.0, 0.1, 0.1])
    assert after.last_epoch == 4  # 8 scheduler steps, 4 after the warmup


def test_warmup_alone_holds_the_lr():
    opt = _opt(0.5)
    got = lrs_used(opt, LinearWarmup(opt, 2, start_factor=0.5), 4)[:, 0]
    np.testing.assert_allclose(got, [0.25, 0.375, 0.5, 0.5])


def test_sequence_previews_without_changing_the_optimizer():
    opt = _opt(1.0)
    sched = CosineAnnealingLR(opt, T_max=10)
    seq = sched.sequence(11)
    assert opt.lr == 1.0 and sched.last_epoch == 0
    np.testing.assert_allclose(seq, lrs_used(opt, sched, 11)[:, 0])


def test_schedules_scale_each_group_from_its_own_initial_lr():
    opt = _opt(0.1, groups=2)
    got = lrs_used(opt, ExponentialLR(opt, gamma=0.5), 3)
    np.testing.assert_allclose(got, [[0.1, 0.2], [0.05, 0.1], [0.025, 0.05]])


def test_get_last_lr_is_what_the_optimizer_uses_next():
    opt = _opt(1.0)
    sched = StepLR(opt, 1, 0.5)
    sched.step()
    assert sched.get_last_lr() == [0.5] == [opt.lr]


@pytest.mark.parametrize(
    "make,name",
    [
        (lambda o: StepLR(o, 0), "step_size"),
        (lambda o: StepLR(o, 2, gamma=-1), "gamma"),
        (lambda o: ExponentialLR(o, gamma=float("inf")), "gamma"),
        (lambda o: CosineAnnealingLR(o, 0), "T_max"),
        (lambda o: CosineAnnealingLR(o, 10, eta_min=-1), "eta_min"),
        (lambda o: LinearLR(o, start_factor=0), "start_factor"),
        (lambda o: LinearLR(o, total_iters=0), "total_iters"),
        (lambda o: LinearWarmup(o, 0), "total_iters"),
    ],
)
def test_invalid_schedule_arguments_raise_naming_them(make, name):
    with pytest.raises(ValueError, match=name):
        make(_opt())


# ------------------------------------------------------------------ vs torch
def _torch_lrs(make_sched, steps, lr=0.1, opt="SGD"):
    torch = pytest.importorskip("torch")
    p = torch.nn.Parameter(torch.zeros(2))
    topt = getattr(torch.optim, opt)([p], lr=lr)
    sched = make_sched(torch.optim.lr_scheduler, topt)
    out = []
    for _ in range(steps):
        out.append(topt.param_groups[0]["lr"])
        topt.step()
        sched.step()
    return np.array(out)


SCHEDULES = [
    ("StepLR", lambda m, o: m.StepLR(o, step_size=7, gamma=0.3)),
    ("ExponentialLR", lambda m, o: m.ExponentialLR(o, gamma=0.93)),
    ("CosineAnnealingLR", lambda m, o: m.CosineAnnealingLR(o, T_max=15)),
    ("CosineAnnealingLR-eta_min-past-T_max",
     lambda m, o: m.CosineAnnealingLR(o, T_max=12, eta_min=0.01)),
    ("LinearLR", lambda m, o: m.LinearLR(o, start_factor=0.05, end_factor=0.9,
                                         total_iters=9)),
]


@pytest.mark.torch
@pytest.mark.parametrize("name,make", SCHEDULES, ids=[s[0] for s in SCHEDULES])
def test_sequence_equals_torch(name, make):
    from bpkit import optim

    class Mod:  # bpkit's schedulers under torch's module layout
        def __getattr__(self, n):
            return getattr(optim, n)

    ours_opt = _opt(0.1)
    ours = lrs_used(ours_opt, make(Mod(), ours_opt), 40)[:, 0]
    np.testing.assert_allclose(ours, _torch_lrs(make, 40), rtol=1e-10, atol=1e-15)


@pytest.mark.torch
@pytest.mark.parametrize("after", ["cosine", "step", None])
def test_linear_warmup_equals_torch_sequential_lr(after):
    torch = pytest.importorskip("torch")
    import warnings

    def make_torch(m, o):
        warm = m.LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=5)
        if after is None:
            return warm
        nxt = (m.CosineAnnealingLR(o, T_max=10) if after == "cosine"
               else m.StepLR(o, step_size=3, gamma=0.5))
        return m.SequentialLR(o, [warm, nxt], milestones=[5])

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's own deprecation chatter
        theirs = _torch_lrs(make_torch, 25, opt="Adam")
    opt = Adam([Parameter(np.zeros(2))], lr=0.1)
    nxt = {None: None, "cosine": lambda: CosineAnnealingLR(opt, T_max=10),
           "step": lambda: StepLR(opt, step_size=3, gamma=0.5)}[after]
    sched = LinearWarmup(opt, 5, after=nxt() if nxt else None, start_factor=0.1)
    ours = lrs_used(opt, sched, 25)[:, 0]
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-15)
    assert math.isclose(ours[0], 0.01)
    del torch
