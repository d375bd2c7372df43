"""Pictures of recurrent networks: an RNN unrolled in time (lesson 07)."""

from __future__ import annotations

__all__ = ["draw_unrolled_rnn"]


def draw_unrolled_rnn(ax, T: int = 4, backward: bool = True) -> None:
    """Draw an RNN unrolled over T steps: inputs, states, per-step losses, and
    (with `backward`) the gradient's two paths into each state."""
    box = dict(boxstyle="round,pad=0.35", fc="white", ec="0.3")
    ax.set_xlim(-0.4, T + 0.4)
    ax.set_ylim(-0.6, 2.75)
    ax.axis("off")

    def node(x, y, text, fc="white"):
        ax.text(x, y, text, ha="center", va="center", fontsize=11,
                bbox={**box, "fc": fc})

    def arrow(a, b, color="0.25", ls="-", rad=0.0, text=None, dx=0.0, dy=0.0):
        ax.annotate("", xy=b, xytext=a, arrowprops=dict(
            arrowstyle="-|>", color=color, lw=1.4, ls=ls, shrinkA=14, shrinkB=14,
            connectionstyle=f"arc3,rad={rad}"))
        if text:
            mx, my = (a[0] + b[0]) / 2 + dx, (a[1] + b[1]) / 2 + dy
            ax.text(mx, my, text, ha="center", va="center", fontsize=9, color=color)

    node(0, 1, "$h_0$", "0.92")
    for t in range(1, T + 1):
        node(t, 0, f"$x_{t}$", "#e3f2fd")
        node(t, 1, f"$h_{t}$")
        node(t, 2, f"$L_{t}$", "#fff3e0")
        arrow((t, 0), (t, 1), text="$W_x$", dx=0.17)
        arrow((t - 1, 1), (t, 1), text="$W_h$", dy=0.12)
        arrow((t, 1), (t, 2))
        if backward:
            arrow((t, 2), (t, 1), color="tab:red", ls="--", rad=0.45)
            arrow((t, 1), (t - 1, 1), color="tab:red", ls="--", rad=0.45)
    ax.text(T / 2, 2.6, "forward: black, one step after another, the same $W_x$, "
            "$W_h$ at every step", ha="center", fontsize=9)
    if backward:
        ax.text(T / 2, -0.5, "backward (red): dL/dh_t = dL_t/dh_t + what step t+1 "
                "sends back", ha="center", fontsize=9, color="tab:red")
