"""Bad inputs to optim, surfaces and the lesson models are refused at the call.

Each row: a call, the exception it must raise, and a regex that names the
argument as the user wrote it (with what was expected, or what came).
Every row returned garbage, or failed deep inside numpy / Python, before.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from bpkit import graph_stepper as gs
from bpkit import learning_rate as lrm
from bpkit import optim
from bpkit import surfaces as sf
from bpkit.engine import Value
from bpkit.gradient_flow import GradientFlowModel
from bpkit.layers import Parameter
from bpkit.mlp_playground import PlaygroundModel
from bpkit.optimizer_race import Entry, RaceModel
from bpkit.single_weight import SingleWeightModel, regime

NAN = math.nan


def _p():
    p = Parameter(np.ones(3))
    p.grad[:] = 1.0
    return p


def _sgd():
    return optim.SGD([_p()], lr=0.1)


def _closure():
    return lambda: 1.0


def _step_with_complex_grad():
    p = _p()
    o = optim.SGD([p], lr=0.1)
    p.grad = np.ones(3, complex)
    o.step()


def _clip_list_grad(fn):
    p = _p()
    p.grad = [10.0, 10.0, 10.0]
    fn([p], 1.0)


_PM = {}


def _pm():  # one playground, built once (it trains nothing until asked)
    if "m" not in _PM:
        _PM["m"] = PlaygroundModel()
    return _PM["m"]


_RACE = {}


def _race():
    if "m" not in _RACE:
        _RACE["m"] = RaceModel(steps=20)
    return _RACE["m"]


CASES = [
    # ------------------------------------------------------------ optim
    ("SGD(None)", lambda: optim.SGD(None), TypeError, r"params must be"),
    ("Optimizer defaults {}", lambda: optim.Optimizer([_p()], {}), ValueError,
     r"defaults must hold a learning rate 'lr'"),
    ("Optimizer defaults None", lambda: optim.Optimizer([_p()], None), TypeError,
     r"defaults must be a dict.*NoneType"),
    ("Adam eps=0", lambda: optim.Adam([_p()], eps=0), ValueError,
     r"eps.*> 0, got 0"),
    ("RMSprop eps=0", lambda: optim.RMSprop([_p()], eps=0), ValueError,
     r"eps.*> 0, got 0"),
    ("Adagrad eps=0", lambda: optim.Adagrad([_p()], eps=0), ValueError,
     r"eps.*> 0, got 0"),
    ("step complex grad", _step_with_complex_grad, TypeError,
     r"grad has dtype complex128, expected a real"),
    ("StepLR step_size=nan", lambda: optim.StepLR(_sgd(), NAN), ValueError,
     r"step_size must be an integer >= 1, got nan"),
    ("StepLR step_size=None", lambda: optim.StepLR(_sgd(), None), ValueError,
     r"step_size must be an integer >= 1, got None"),
    ("Cosine T_max=nan", lambda: optim.CosineAnnealingLR(_sgd(), NAN), ValueError,
     r"T_max must be an integer >= 1, got nan"),
    ("LinearLR total_iters=None",
     lambda: optim.LinearLR(_sgd(), total_iters=None), ValueError,
     r"total_iters must be an integer >= 1, got None"),
    ("LinearWarmup warmup_steps=nan", lambda: optim.LinearWarmup(_sgd(), NAN),
     ValueError, r"warmup_steps must be an integer >= 1, got nan"),
    ("LinearWarmup warmup_steps=0", lambda: optim.LinearWarmup(_sgd(), 0),
     ValueError, r"^warmup_steps must be an integer >= 1, got 0"),
    ("LinearWarmup after=5", lambda: optim.LinearWarmup(_sgd(), 3, after=5),
     TypeError, r"after must be an LRScheduler.*int"),
    ("sequence(-1)", lambda: optim.StepLR(_sgd(), 3).sequence(-1), ValueError,
     r"steps must be an integer >= 0, got -1"),
    ("sequence(2.5)", lambda: optim.StepLR(_sgd(), 3).sequence(2.5), ValueError,
     r"steps must be an integer >= 0, got 2.5"),
    ("clip norm_type=None", lambda: optim.clip_grad_norm_([_p()], 1.0, norm_type=None),
     TypeError, r"norm_type.*got None"),
    ("clip_grad_norm_ list grad", lambda: _clip_list_grad(optim.clip_grad_norm_),
     TypeError, r"parameter 0's grad is a list"),
    ("clip_grad_value_ list grad", lambda: _clip_list_grad(optim.clip_grad_value_),
     TypeError, r"parameter 0's grad is a list"),
    ("train scheduler=5", lambda: optim.train(_closure(), _sgd(), 5, scheduler=5),
     TypeError, r"scheduler must be .*got int"),
    ("train max_loss='10'", lambda: optim.train(_closure(), _sgd(), 5, max_loss="10"),
     ValueError, r"max_loss must be a finite number, got '10'"),
    ("train max_loss=nan", lambda: optim.train(_closure(), _sgd(), 5, max_loss=NAN),
     ValueError, r"max_loss must be a finite number, got nan"),
    ("train callback=5", lambda: optim.train(_closure(), _sgd(), 5, callback=5),
     TypeError, r"callback must be a function"),
    ("train max_grad_norm=-1",
     lambda: optim.train(_closure(), _sgd(), 5, max_grad_norm=-1), ValueError,
     r"max_grad_norm must be a finite number >= 0, got -1"),
    ("lr_range_test stop_factor=nan",
     lambda: optim.lr_range_test(_closure(), _sgd(), steps=20, stop_factor=NAN),
     ValueError, r"stop_factor.*> 1, got nan"),
    ("lr_range_test stop_factor=0",
     lambda: optim.lr_range_test(_closure(), _sgd(), steps=20, stop_factor=0),
     ValueError, r"stop_factor.*> 1, got 0"),
    ("lr_range_test stop_factor=None",
     lambda: optim.lr_range_test(_closure(), _sgd(), steps=20, stop_factor=None),
     ValueError, r"stop_factor.*got None"),
    # --------------------------------------------------------- surfaces
    ("Quadratic1D(None)", lambda: sf.Quadratic1D(None), ValueError,
     r"curvature L must be a finite number > 0, got None"),
    ("Quadratic1D('1')", lambda: sf.Quadratic1D("1"), ValueError,
     r"curvature L must be .*got '1'"),
    ("Quadratic2D angle=None", lambda: sf.Quadratic2D(angle=None), ValueError,
     r"angle \(degrees\) must be a finite number, got None"),
    ("Rosenbrock a=nan", lambda: sf.Rosenbrock(a=NAN), ValueError,
     r"a must be a finite number, got nan"),
    ("Rosenbrock b=None", lambda: sf.Rosenbrock(b=None), ValueError,
     r"b must be a finite number, got None"),
    ("Ripples bowl=None", lambda: sf.Ripples(bowl=None), ValueError,
     r"bowl must be .*got None"),
    ("Ripples dim=True", lambda: sf.Ripples(dim=True), ValueError,
     r"dim must be an integer in \[1, 2\], got True"),
    ("NoisyGradient surface=None", lambda: sf.NoisyGradient(None, 1.0,
                                                            np.random.default_rng(0)),
     TypeError, r"surface must be a bpkit.surfaces Surface.*NoneType"),
    ("NoisyGradient batch_size=nan",
     lambda: sf.NoisyGradient(sf.Beale(), 1.0, np.random.default_rng(0),
                              batch_size=NAN),
     ValueError, r"batch_size must be an integer >= 1, got nan"),
    ("value complex w", lambda: sf.Rosenbrock().value(np.array([1j, 0])), TypeError,
     r"w must be a real numeric array, got dtype complex"),
    ("value str w", lambda: sf.Rosenbrock().value(np.array(["a", "b"])), TypeError,
     r"w must be a real numeric array"),
    ("grid(0)", lambda: sf.Rosenbrock().grid(0), ValueError,
     r"resolution must be an integer >= 2, got 0"),
    ("grid(None)", lambda: sf.Rosenbrock().grid(None), ValueError,
     r"resolution must be an integer >= 2, got None"),
    ("grid bounds nan", lambda: sf.Rosenbrock().grid(bounds=((NAN, 1), (0, 1))),
     ValueError, r"bounds must be finite pairs with lo < hi"),
    ("grid bounds reversed", lambda: sf.Rosenbrock().grid(bounds=((1, 0), (0, 1))),
     ValueError, r"bounds must be finite pairs with lo < hi"),
    ("grid bounds one pair", lambda: sf.Rosenbrock().grid(bounds=((0, 1),)),
     ValueError, r"bounds must be 2 pair"),
    ("descend steps=nan", lambda: sf.descend(sf.Rosenbrock(), optim.SGD, steps=NAN,
                                             lr=1e-3),
     ValueError, r"steps must be an integer >= 0, got nan"),
    ("descend steps=None", lambda: sf.descend(sf.Rosenbrock(), optim.SGD, steps=None,
                                              lr=1e-3),
     ValueError, r"steps must be an integer >= 0, got None"),
    ("descend optimizer='SGD'", lambda: sf.descend(sf.Rosenbrock(), "SGD", lr=1e-3),
     TypeError, r"optimizer must be a function, got str"),
    ("descend max_loss='10'", lambda: sf.descend(sf.Rosenbrock(), optim.SGD,
                                                 max_loss="10", lr=1e-3),
     ValueError, r"max_loss must be a finite number, got '10'"),
    ("descend scheduler=5", lambda: sf.descend(sf.Rosenbrock(), optim.SGD,
                                               scheduler=5, lr=1e-3),
     TypeError, r"scheduler must be a function, got int"),
    ("descend surface=None", lambda: sf.descend(None, optim.SGD, lr=1e-3), TypeError,
     r"surface must be a bpkit.surfaces Surface"),
    ("descend start nan", lambda: sf.descend(sf.Rosenbrock(), optim.SGD,
                                             start=np.array([NAN, 0.0]), lr=1e-3),
     ValueError, r"start must hold finite numbers"),
    ("quadratic_regime lr=nan", lambda: sf.quadratic_regime(NAN, [1.0]), ValueError,
     r"lr must hold finite numbers >= 0, got nan"),
    ("quadratic_regime lr=-1", lambda: sf.quadratic_regime(-1.0, [1.0]), ValueError,
     r"lr must hold finite numbers >= 0"),
    ("quadratic_regime lr='0.1'", lambda: sf.quadratic_regime("0.1", [1.0]),
     TypeError, r"lr must be a real numeric array"),
    ("quadratic_regime curvatures=[]", lambda: sf.quadratic_regime(0.1, []),
     ValueError, r"curvatures is empty"),
    ("quadratic_regime curvatures=None", lambda: sf.quadratic_regime(0.1, None),
     TypeError, r"curvatures must be a real numeric array"),
    ("quadratic_regime curvatures=[-1]", lambda: sf.quadratic_regime(0.1, [-1.0]),
     ValueError, r"curvatures must hold finite numbers >= 0"),
    # ---------------------------------------------------- learning_rate
    ("LearningRateModel lr=None", lambda: lrm.LearningRateModel(lr=None), ValueError,
     r"lr must be a finite number > 0, got None"),
    ("LearningRateModel steps=nan", lambda: lrm.LearningRateModel(steps=NAN),
     ValueError, r"steps must be an integer >= 1, got nan"),
    ("LearningRateModel condition=None",
     lambda: lrm.LearningRateModel("quadratic 2-D", condition=None), ValueError,
     r"condition must be a finite number >= 1, got None"),
    ("LearningRateModel start='ab'", lambda: lrm.LearningRateModel(start="ab"),
     TypeError, r"start must be a real numeric array"),
    ("LearningRateModel start nan", lambda: lrm.LearningRateModel(start=(NAN,)),
     ValueError, r"start must hold finite numbers"),
    ("LearningRateModel start 3 for 2-D",
     lambda: lrm.LearningRateModel("Rosenbrock", start=(1.0, 2.0, 3.0)), ValueError,
     r"start has shape \(3,\), expected \(2,\)"),
    ("hessian surface=None", lambda: lrm.hessian(None, np.zeros(2)), TypeError,
     r"surface must be a bpkit.surfaces Surface"),
    ("hessian w scalar", lambda: lrm.hessian(sf.Quadratic1D(), 1.0), ValueError,
     r"w has shape \(\), expected"),
    ("hessian w batch", lambda: lrm.hessian(sf.Quadratic2D(), np.zeros((2, 2))),
     ValueError, r"w must be one point of shape \(2,\), got shape \(2, 2\)"),
    ("hessian eps=0", lambda: lrm.hessian(sf.Rosenbrock(), np.zeros(2), eps=0),
     ValueError, r"eps must be a finite number > 0, got 0"),
    ("hessian eps=None", lambda: lrm.hessian(sf.Rosenbrock(), np.zeros(2), eps=None),
     ValueError, r"eps must be .*got None"),
    ("classify_path None", lambda: lrm.classify_path(None), TypeError,
     r"path must be a bpkit.surfaces Path"),
    ("classify_path empty", lambda: lrm.classify_path(sf.Path(np.zeros((0, 1)),
                                                              np.zeros(0))),
     ValueError, r"path must hold one point per loss and at least one"),
    # ---------------------------------------------------- single_weight
    ("SingleWeightModel x=None", lambda: SingleWeightModel(x=None), ValueError,
     r"x must be a finite number, got None"),
    ("SingleWeightModel x=nan", lambda: SingleWeightModel(x=NAN), ValueError,
     r"x must be a finite number, got nan"),
    ("SingleWeightModel x=1j", lambda: SingleWeightModel(x=1j), ValueError,
     r"x must be a finite number, got 1j"),
    ("SingleWeightModel w0=nan", lambda: SingleWeightModel(w0=NAN), ValueError,
     r"w0 must be a finite number, got nan"),
    ("SingleWeightModel target=inf", lambda: SingleWeightModel(target=math.inf),
     ValueError, r"target must be a finite number, got inf"),
    ("SingleWeightModel lr=nan", lambda: SingleWeightModel(lr=NAN), ValueError,
     r"lr must be a finite number >= 0, got nan"),
    ("SingleWeightModel lr=None", lambda: SingleWeightModel(lr=None), ValueError,
     r"lr must be a finite number >= 0, got None"),
    ("run(-1)", lambda: SingleWeightModel().run(-1), ValueError,
     r"n must be an integer >= 0, got -1"),
    ("run(2.5)", lambda: SingleWeightModel().run(2.5), ValueError,
     r"n must be an integer >= 0, got 2.5"),
    ("regime lr=nan", lambda: regime(NAN, 2.0), ValueError,
     r"lr must be a finite number, got nan"),
    ("regime x=None", lambda: regime(0.1, None), ValueError,
     r"x must be a finite number, got None"),
    ("regime lr='a'", lambda: regime("a", 2.0), ValueError,
     r"lr must be a finite number, got 'a'"),
    # ---------------------------------------------------- gradient_flow
    ("GradientFlowModel depth=None", lambda: GradientFlowModel(depth=None), ValueError,
     r"depth must be an integer, got None"),
    ("GradientFlowModel width=nan", lambda: GradientFlowModel(depth=3, width=NAN),
     ValueError, r"width must be an integer, got nan"),
    ("GradientFlowModel lr=nan", lambda: GradientFlowModel(depth=3, lr=NAN),
     ValueError, r"lr must be a finite number > 0, got nan"),
    ("GradientFlowModel lr=-1", lambda: GradientFlowModel(depth=3, lr=-1),
     ValueError, r"lr must be a finite number > 0, got -1"),
    ("GradientFlowModel seed=-1", lambda: GradientFlowModel(depth=3, seed=-1),
     ValueError, r"seed must be an integer >= 0, got -1"),
    ("GradientFlowModel seed=None", lambda: GradientFlowModel(depth=3, seed=None),
     ValueError, r"seed must be an integer, got None"),
    ("GradientFlowModel bins=0", lambda: GradientFlowModel(depth=3, bins=0),
     ValueError, r"bins must be an integer >= 1, got 0"),
    ("GradientFlowModel bins=2.5", lambda: GradientFlowModel(depth=3, bins=2.5),
     ValueError, r"bins must be an integer, got 2.5"),
    ("configure lr=nan", lambda: GradientFlowModel(depth=3).configure(lr=NAN),
     ValueError, r"lr must be a finite number > 0, got nan"),
    ("configure width=nan", lambda: GradientFlowModel(depth=3).configure(width=NAN),
     ValueError, r"width must be an integer, got nan"),
    # --------------------------------------------------- optimizer_race
    ("RaceModel steps=nan", lambda: RaceModel(steps=NAN), ValueError,
     r"steps must be an integer >= 1, got nan"),
    ("RaceModel start='ab'", lambda: RaceModel(start="ab"), TypeError,
     r"start must be a real numeric array"),
    ("RaceModel start nan", lambda: RaceModel(start=(NAN, NAN), steps=20), ValueError,
     r"start must hold finite numbers"),
    ("RaceModel entry lr=None",
     lambda: RaceModel(steps=20, entries={"SGD": Entry(True, None, 0.9)}), ValueError,
     r"SGD: lr must be a positive number, got None"),
    ("RaceModel entry 'x'", lambda: RaceModel(steps=20, entries={"SGD": "x"}),
     TypeError, r"entries\['SGD'\] must be an Entry"),
    ("RaceModel entries=[1]", lambda: RaceModel(steps=20, entries=[1]), TypeError,
     r"entries must be a dict"),
    ("set_entry bogus", lambda: _race().set_entry("bogus", lr=0.1), ValueError,
     r"name must be one of .*got 'bogus'"),
    ("set_entry lr=0", lambda: _race().set_entry("SGD", lr=0), ValueError,
     r"SGD: lr must be a positive number, got 0"),
    ("set_entry beta=1.5", lambda: _race().set_entry("momentum", beta=1.5),
     ValueError, r"momentum: beta \(momentum\) must be a number in \[0, 1\), got 1.5"),
    ("position bogus", lambda: _race().position("bogus", 0), ValueError,
     r"name must be one of .*got 'bogus'"),
    ("position frame=-5", lambda: _race().position("SGD", -5), ValueError,
     r"frame must be an integer >= 0, got -5"),
    ("position frame=2.5", lambda: _race().position("SGD", 2.5), ValueError,
     r"frame must be an integer >= 0, got 2.5"),
    ("steps_to tol=None", lambda: _race().steps_to("SGD", None), ValueError,
     r"tol must be a finite number > 0, got None"),
    ("leaderboard frame=-1", lambda: _race().leaderboard(frame=-1), ValueError,
     r"frame must be an integer >= 0, got -1"),
    # --------------------------------------------------- mlp_playground
    ("PlaygroundModel width=nan", lambda: PlaygroundModel(width=NAN), ValueError,
     r"width must be an integer in \[1, 1024\], got nan"),
    ("PlaygroundModel lr=None", lambda: PlaygroundModel(lr=None), ValueError,
     r"lr must be a positive number, got None"),
    ("PlaygroundModel n_points=0", lambda: PlaygroundModel(n_points=0), ValueError,
     r"n_points must be an integer >= 2, got 0"),
    ("PlaygroundModel noise=nan", lambda: PlaygroundModel(noise=NAN), ValueError,
     r"noise must be a finite number >= 0, got nan"),
    ("PlaygroundModel noise=None", lambda: PlaygroundModel(noise=None), ValueError,
     r"noise must be a finite number >= 0, got None"),
    ("PlaygroundModel seed=-1", lambda: PlaygroundModel(seed=-1), ValueError,
     r"seed must be an integer >= 0, got -1"),
    ("PlaygroundModel seed=None", lambda: PlaygroundModel(seed=None), ValueError,
     r"seed must be an integer >= 0, got None"),
    ("PlaygroundModel grid_steps=0", lambda: PlaygroundModel(grid_steps=0), ValueError,
     r"grid_steps must be an integer >= 2, got 0"),
    ("PlaygroundModel grid_steps=2.5", lambda: PlaygroundModel(grid_steps=2.5),
     ValueError, r"grid_steps must be an integer >= 2, got 2.5"),
    ("accuracy y (N, 1)", lambda: _pm().accuracy(_pm().X, _pm().y[:, None]),
     ValueError, r"y has shape \(300, 1\), expected \(300,\)"),
    ("accuracy y short", lambda: _pm().accuracy(_pm().X, _pm().y[:-1]), ValueError,
     r"y has shape \(299,\), expected \(300,\)"),
    ("accuracy y fractional", lambda: _pm().accuracy(_pm().X, _pm().y + 0.5),
     ValueError, r"y must hold integer class labels"),
    ("step(-1)", lambda: _pm().step(-1), ValueError,
     r"k must be an integer >= 0, got -1"),
    ("step(None)", lambda: _pm().step(None), ValueError,
     r"k must be an integer >= 0, got None"),
    # ---------------------------------------------------- graph_stepper
    ("GraphStepperModel max_nodes=nan", lambda: gs.GraphStepperModel(max_nodes=NAN),
     ValueError, r"max_nodes must be an integer, got nan"),
    ("GraphStepperModel max_nodes=None", lambda: gs.GraphStepperModel(max_nodes=None),
     ValueError, r"max_nodes must be an integer, got None"),
    ("goto(2.5)", lambda: gs.GraphStepperModel().goto(2.5), ValueError,
     r"k must be an integer, got 2.5"),
    ("goto(None)", lambda: gs.GraphStepperModel().goto(None), ValueError,
     r"k must be an integer, got None"),
    ("goto('2')", lambda: gs.GraphStepperModel().goto("2"), ValueError,
     r"k must be an integer, got '2'"),
    ("done(-1)", lambda: gs.GraphStepperModel().done(-1), ValueError,
     r"i must be an integer in \[0, \d+\], got -1"),
    ("done(999)", lambda: gs.GraphStepperModel().done(999), ValueError,
     r"i must be an integer in \[0, \d+\], got 999"),
    ("received(999)", lambda: gs.GraphStepperModel().received(999), ValueError,
     r"i must be an integer in \[0, \d+\], got 999"),
    ("name_of stranger", lambda: gs.GraphStepperModel().name_of(Value(1.0)),
     ValueError, r"node must be a Value of this graph"),
    ("local_formula '**x'", lambda: gs.local_formula("**x", 0, ["a"], "o"),
     ValueError, r"op '\*\*x': expected '\*\*' followed by a number"),
    ("local_formula ins=[]", lambda: gs.local_formula("+", 0, [], "o"), ValueError,
     r"ins must be a non-empty list of input names, got \[\]"),
    ("local_formula op=None", lambda: gs.local_formula(None, 0, ["a"], "o"),
     TypeError, r"op must be an operation's name.*NoneType"),
    ("local_formula '*' one input", lambda: gs.local_formula("*", 0, ["a"], "o"),
     ValueError, r"op '\*' takes 2 inputs, got ins=\['a'\]"),
    ("local_formula slot=5", lambda: gs.local_formula("-", 5, ["a", "b"], "o"),
     ValueError, r"slot must be an integer in \[0, 1\], got 5"),
    ("fmt(None)", lambda: gs.fmt(None), TypeError, r"x must be a number, got NoneType"),
    ("fmt('1')", lambda: gs.fmt("1"), TypeError, r"x must be a number, got str"),
    ("fmt(array)", lambda: gs.fmt(np.array([1.0, 2.0])), TypeError,
     r"x must be a number, got ndarray"),
]


@pytest.mark.parametrize("call, exc, match", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_bad_input_is_refused_naming_the_argument(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
