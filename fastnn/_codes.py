"""Integer codes the kernels understand (shared by both backends and the Python layer)."""

# Losses, computed from the output layer's pre-activations ("logits").
SQUARED_ERROR = 0  # identity output, mean squared error
LOG_LOSS = 1  # one sigmoid output, binary cross-entropy
SOFTMAX_LOG_LOSS = 2  # softmax over the outputs, categorical cross-entropy

LOSS_CODES = {"squared_error": SQUARED_ERROR, "log_loss": LOG_LOSS}

# A metric the surface kernels evaluate in the loss code's place: the fraction of samples
# whose predicted class is the target's (one output: logit > 0 is class 1, as predict;
# several: the first arg-max of the logits against the one-hot target's).
ACCURACY = 3

# Hidden-layer activations.
SIGMOID = 0
TANH = 1
RELU = 2
IDENTITY = 3  # a linear layer: f(z) = z (scikit-learn's "identity")
# From here on the derivatives need the pre-activations (fastnn.kernels._activation).
LEAKY_RELU = 4  # parameter: the negative slope
GELU = 5  # exact (erf), as torch.nn.GELU()
SILU = 6
ELU = 7  # parameter: alpha
SOFTPLUS = 8  # parameter: the threshold above which softplus(z) = z (torch's beta = 1)

ACTIVATION_CODES = {
    "sigmoid": SIGMOID,
    "tanh": TANH,
    "relu": RELU,
    "identity": IDENTITY,
    "leaky_relu": LEAKY_RELU,
    "gelu": GELU,
    "silu": SILU,
    "elu": ELU,
    "softplus": SOFTPLUS,
}
# The parameter an activation takes when its name is given alone (PyTorch's defaults).
ACTIVATION_DEFAULTS = {"leaky_relu": 0.01, "elu": 1.0, "softplus": 20.0}

# Parameter updates of the MLP training loop.
MOMENTUM = 0  # theta += v, v = momentum * v - lr * grad (plain gradient steps when momentum = 0)
ADAM = 1

# Curves between two networks (fastnn.connect): the bend's place in theta(t).
BEZIER = 0  # (1 - t)^2 theta_a + 2 t (1 - t) bend + t^2 theta_b
POLYCHAIN = 1  # theta_a -> bend -> theta_b, two segments, the bend at t = 1/2
CURVE_CODES = {"bezier": BEZIER, "polychain": POLYCHAIN}

# Sohl-Dickstein's outcome rule reads the mean of this many last epoch losses (a
# trainability map's fourth number).
TAIL_EPOCHS = 20

# What ended a training loop.
MAX_ITER = 0
CONVERGED = 1
DIVERGED = 2

# Divergence: a run has diverged when a loss is non-finite, or when an iteration's loss
# (full batch) or an epoch's mean loss rises above DIVERGENCE_RATIO times the run's first
# one (a first loss below DIVERGENCE_FLOOR counts as DIVERGENCE_FLOOR).
DIVERGENCE_RATIO = 1e4
DIVERGENCE_FLOOR = 1e-12

# The MLP training loop's settings: one float64 array, these are its positions
# (integers -- the optimizer code, batch size, patience -- are stored exactly).
SETTING_OPTIMIZER = 0
SETTING_LEARNING_RATE = 1
SETTING_MOMENTUM = 2
SETTING_BETA_1 = 3
SETTING_BETA_2 = 4
SETTING_EPSILON = 5
SETTING_BATCH_SIZE = 6
SETTING_TOL = 7  # < 0: no early stopping
SETTING_N_ITER_NO_CHANGE = 8
SETTING_ALPHA = 9  # L2 penalty alpha / (2 batch) * ||weights||^2 per batch (scikit-learn's)
# Which layers have biases: 1 every layer's (trained); 0 none (a network without biases:
# they stay 0); -m for some, bit l of the integer m set where layer l has them (the others
# stay 0).  Exact in a float64 for up to 52 layers (bias_setting).
SETTING_BIASES = 10
N_SETTINGS = 11
# Optional: one learning rate per layer (its weights and biases) from this position on,
# used instead of SETTING_LEARNING_RATE by the momentum / plain-step update.
SETTING_LAYER_RATES = N_SETTINGS

# What a trainability map's axis sets besides a settings position: every layer's learning
# rate, or a multiplier of the initial parameters.
ALL_RATES = -1
INIT_SCALE = -2

# The MLP training loop's state, kept between calls so that a run cut into several
# calls (bounded sample-order memory) takes exactly the steps of one call: three
# counters and the divergence limit (NaN until the first epoch sets it), then the
# optimiser's first and second moments and the previous iterate (n_params each).
STATE_STEP = 0
STATE_BEST_LOSS = 1
STATE_STALLED = 2
STATE_LIMIT = 3
STATE_VECTORS = 4


def bias_setting(biases) -> float:
    """The ``SETTING_BIASES`` value of ``biases``: True, False or one flag per layer."""
    if isinstance(biases, (tuple, list)):
        if all(biases):
            return 1.0
        if not any(biases):
            return 0.0
        if len(biases) > 52:
            raise ValueError("biases: one flag per layer is implemented for up to 52 layers")
        return -float(sum(1 << layer for layer, has in enumerate(biases) if has))
    return 1.0 if biases else 0.0
