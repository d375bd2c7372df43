"""One LSTM step's backward with each classic slip as a switch (lesson 07's check).

The check compares a learner's `lstm_step_backward` with bpkit's and, when they
differ, with this function run with one switch flipped: the slip it reproduces
names the hint. Every switch at its default gives the right gradients.
"""

from __future__ import annotations

import numpy as np

GATES = "ifgo"  # PyTorch's order of the gate blocks in Wx, Wh and b


def slipped_dz(
    dh: np.ndarray, dc: np.ndarray, cache: dict, *,
    cell_path: bool = True,      # add the dc that comes from step t + 1
    tanh_slope: bool = True,     # the (1 - tanh(c)**2) of h = o * tanh(c)
    g_slope: str = "tanh",       # "sigmoid": g treated as a sigmoid gate
    do_from: str = "tanh_c",     # "c": dL/do = dh * c; "dc_total": dc_total * tc
    i_times: str = "g",          # "i": dL/di = dc_total * i
    slopes: bool = True,         # the gates' slopes (dL/d gate, not dL/d pre-act)
    forget: bool = True,         # dc_prev = dc_total * f
    order: str = GATES,          # the order the four blocks are stacked in
) -> tuple[np.ndarray, np.ndarray]:
    """dL/d(pre-activations) (N, 4H) and dc_prev (N, H), with the slips asked for."""
    c_prev, c = cache["c_prev"], cache["c"]
    i, f, g, o = cache["i"], cache["f"], cache["g"], cache["o"]
    tc = np.tanh(c)
    through_h = dh * o * ((1 - tc**2) if tanh_slope else 1.0)
    dc_total = through_h + (dc if cell_path else 0.0)  # (N, H)
    slope_g = (1 - g**2) if g_slope == "tanh" else g * (1 - g)
    one = np.ones_like(c)
    s_i, s_f, s_o = ((i * (1 - i), f * (1 - f), o * (1 - o)) if slopes
                     else (one, one, one))
    do = {"tanh_c": dh * tc, "c": dh * c, "dc_total": dc_total * tc}[do_from]
    blocks = {
        "i": dc_total * (g if i_times == "g" else i) * s_i,
        "f": dc_total * c_prev * s_f,
        "g": dc_total * i * (slope_g if slopes else one),
        "o": do * s_o,
    }
    dz = np.concatenate([blocks[k] for k in order], axis=1)  # (N, 4H)
    return dz, (dc_total * f if forget else dc_total)


def slipped_backward(dh: np.ndarray, dc: np.ndarray, cache: dict,
                     **slips: object) -> tuple[np.ndarray, ...]:
    """(dx, dh_prev, dc_prev, dWx, dWh, db) with the slips asked for."""
    dz, dc_prev = slipped_dz(dh, dc, cache, **slips)
    x, h_prev, Wx, Wh = cache["x"], cache["h_prev"], cache["Wx"], cache["Wh"]
    return dz @ Wx.T, dz @ Wh.T, dc_prev, x.T @ dz, h_prev.T @ dz, dz.sum(axis=0)
