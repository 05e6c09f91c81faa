"""In a fresh Jupyter kernel, a figure fastnn returns is shown once, as a picture."""

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

CELL = """
import fastnn
from fastnn import lecture
X, y = lecture.gd_data()
gd = lecture.linear_gd_model().fit(X, y, theta0=lecture.LINEAR_GD_START)
surface = fastnn.loss_surface(gd, X, y, params=(0, 1), resolution=11, progress=False)
surface.plot(trajectory=gd.trajectory_)
"""


def test_the_first_figure_of_a_fresh_notebook_is_one_picture(tmp_path):
    notebook = nbformat.v4.new_notebook()
    # No %matplotlib and no pyplot figure before: the formatter must come from fastnn.
    notebook.cells = [nbformat.v4.new_code_cell(CELL), nbformat.v4.new_code_cell("surface.plot()")]
    nbclient.NotebookClient(notebook, kernel_name="python3", timeout=600,
                            resources={"metadata": {"path": str(tmp_path)}}).execute()  # fmt: skip
    for cell in notebook.cells:
        pictures = [o for o in cell.outputs if "image/png" in o.get("data", {})]
        assert len(pictures) == 1, cell.outputs
