"""`progress`: every item in order, a text bar in scripts, a widget bar in a kernel."""

import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("tqdm")

from bpkit.apps.progress import progress  # noqa: E402


def test_yields_every_item_in_order_with_or_without_a_length():
    assert list(progress(range(5))) == [0, 1, 2, 3, 4]
    assert list(progress((i * i for i in range(4)), total=4)) == [0, 1, 4, 9]
    assert list(progress(iter("abc"))) == ["a", "b", "c"]  # no len(), no total


def test_a_script_gets_a_text_bar_on_stderr_with_its_description_and_count(capsys):
    for _ in progress(range(7), desc="training"):
        pass
    out = capsys.readouterr()
    assert out.out == ""  # stdout stays the loop's own
    assert "training" in out.err and "7/7" in out.err and "100%" in out.err


def test_a_loop_left_early_reports_where_it_stopped(capsys):
    for i in progress(range(10), desc="diverged"):
        if i == 2:
            break
    err = capsys.readouterr().err
    assert "2/10" in err and "10/10" not in err  # two iterations finished


def test_the_text_bar_in_a_plain_python_process():
    # not under pytest's capture: what a CI log of a script shows
    code = "from bpkit.apps.progress import progress\nfor _ in progress(range(3), desc='run'): pass"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout == "" and "run" in out.stderr and "3/3" in out.stderr


def test_a_jupyter_kernel_gets_a_widget_bar_and_no_text():
    pytest.importorskip("ipywidgets")
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    source = textwrap.dedent("""\
        from bpkit.apps.progress import progress
        seen = [i for i in progress(range(50), desc="training")]
        for i in progress(range(50), desc="diverged"):
            if i == 9:
                break
        print(len(seen), i)
    """)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    outputs = nb.cells[0].outputs
    shown = [o for o in outputs if o.output_type == "display_data"
             and "application/vnd.jupyter.widget-view+json" in o.data]
    streams = {o.name: o.text for o in outputs if o.output_type == "stream"}
    assert len(shown) == 2, outputs
    assert streams == {"stdout": "50 9\n"}, "a widget bar writes no text to the streams"
    # the bars' final state, as the notebook saves it: full and green, stopped and red
    state = nb.metadata.widgets["application/vnd.jupyter.widget-state+json"]["state"]
    bars = sorted((m["state"]["value"], m["state"]["max"], m["state"]["bar_style"])
                  for m in state.values() if m["model_name"] == "FloatProgressModel")
    assert bars == [(9, 50, "danger"), (50, 50, "success")]
