"""The README's Python examples run (documentation examples are tests)."""

import pathlib
import re
import warnings

import fastnn

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"


def test_readme_python_blocks_run():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "the README has no python examples"
    namespace = {}
    with warnings.catch_warnings():
        # The tour trains a few models with scikit-learn's defaults, which may stop at
        # max_iter; everything else (divergence included) still fails the test.
        warnings.simplefilter("ignore", fastnn.ConvergenceWarning)
        for block in blocks:
            exec(compile(block, str(README), "exec"), namespace)
    # the tour's objects exist and are fitted
    assert namespace["net"].score(namespace["Xd"], namespace["yd"]) > 0.9
    assert namespace["ols"].theta_.shape == (2,)
